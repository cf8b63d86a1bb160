import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import type User from '#models/user'
import type Order from '#models/order'
import Dispute from '#models/dispute'
import DisputeAction from '#models/dispute_action'
import Payment from '#models/payment'
import PaymentEvent from '#models/payment_event'
import Transfer from '#models/transfer'
import TransferReversal from '#models/transfer_reversal'
import ContractorDebit from '#models/contractor_debit'
import Refund from '#models/refund'
import DisputesEvidence from '#commands/disputes_evidence'
import OrdersRefund from '#commands/orders_refund'
import ContractorsDebit from '#commands/contractors_debit'
import StripeReconcile from '#commands/stripe_reconcile'
import type { MarketplaceConfig } from '#config/marketplace'
import { enqueue } from '#services/queue'
import { PENDING_GRACE_MINUTES } from '#actions/reconcile/reconcile'
import { lockForOrder } from '#actions/orders/order_lock'
import { recordDispute } from '#actions/disputes/record_dispute'
import { planDispute, withDisputeLock } from '#actions/disputes/drive_dispute'
import { actors } from '#domain/actor'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { fakeMail } from '#tests/helpers/mail'
import { runJobs } from '#tests/helpers/jobs'
import { advanceSandboxClock, stripeIdOf, withStripeUnreachable } from '#tests/helpers/stripe'
import { stateOf } from '#tests/helpers/orders'
import {
  DAY,
  completeLine,
  decideSandboxDispute,
  deliver,
  disputedHoldOrder,
  disputedLineOfChargeOrder,
  deliverNewEvents,
  disputeEvents,
  disputeOfOrder,
  stripeDisputeOf,
} from '#tests/helpers/disputes'
import {
  contractorBalance,
  errorsOf,
  runCommand,
  stripeWritesDuring,
} from '#tests/functional/console_helpers'
import { refundOrder } from '#actions/refunds/refund_order'
import { refuseRefundDuringChargeback } from '#actions/disputes/refund_guard'

/** The sandbox rules on winning_evidence / losing_evidence this long after submission */
const RULING = 61

async function eventTypes(order: Order) {
  const events = await PaymentEvent.query().where('orderId', order.id).orderBy('id')
  return events.map((event) => event.type)
}

async function submitEvidence(dispute: Dispute, text: string) {
  const command = await runCommand(DisputesEvidence, [
    String(dispute.id),
    `--text=${text}`,
    '--submit',
    '--force',
  ])
  command.assertSucceeded()
  return command
}

/** The transfers Stripe has made to a connected account, newest first */
async function transfersTo(contractor: User) {
  const list = await stripe().transfers.list({ destination: await stripeIdOf(contractor) })
  return list.data
}

test.group('Disputes: chargebacks followed to the cent', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('a captured one-contractor order: share reversed, evidence submitted, won, share given back', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    const { contractor, employer, order, payment, transfers } = await disputedHoldOrder()
    const [paidOut] = transfers
    assert.equal(paidOut.kind, 'destination')
    const before = await contractorBalance(contractor)
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    const seen = new Set<string>()

    assert.deepEqual(await deliverNewEvents(client, onStripe.id, seen), [
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
    ])

    const dispute = await disputeOfOrder(order)
    assert.equal(dispute.status, 'needs_response')
    assert.equal(dispute.amount, 12000)
    assert.equal(dispute.reason, 'fraudulent')
    assert.equal(dispute.withdrawnAmount, 12000)
    assert.equal(dispute.withdrawnFee, 1500)
    assert.equal(dispute.recovery, 'reverse')
    assert.lengthOf(dispute.lines, 1)
    assert.equal(dispute.lines[0].amount, 12000)
    // $120.00 disputed; the contractor received $108.00 of it
    assert.equal(dispute.lines[0].share, 10800)
    const { payment: flagged } = await stateOf(order)
    assert.isTrue(flagged.disputed)

    const [reversal] = await TransferReversal.query().where('disputeId', dispute.id)
    assert.equal(reversal.status, 'succeeded')
    assert.equal(reversal.amount, 10800)
    assert.equal(reversal.transferId, paidOut.id)
    const onStripeTransfer = await stripe().transfers.retrieve(paidOut.stripeTransferId!)
    assert.equal(onStripeTransfer.amount_reversed, 10800)
    const during = await contractorBalance(contractor)
    assert.equal(before.available - during.available, 10800)

    await submitEvidence(dispute, 'winning_evidence')
    await dispute.refresh()
    assert.equal(dispute.status, 'under_review')
    assert.equal(dispute.evidenceSubmissionCount, 1)
    assert.isNotNull(dispute.evidenceSubmittedAt)

    await advanceSandboxClock(RULING)
    assert.includeMembers(await deliverNewEvents(client, onStripe.id, seen), [
      'charge.dispute.funds_reinstated',
      'charge.dispute.closed',
    ])

    await dispute.refresh()
    assert.equal(dispute.status, 'won')
    assert.equal(dispute.outcome, 'won')
    assert.equal(dispute.reinstatedAmount, 12000)
    assert.isNotNull(dispute.settledAt)
    const [returned] = await Transfer.query().where('disputeId', dispute.id)
    assert.equal(returned.kind, 'dispute_return')
    assert.equal(returned.status, 'paid')
    assert.equal(returned.amount, 10800)
    const [latest] = await transfersTo(contractor)
    assert.equal(latest.id, returned.stripeTransferId)
    assert.equal(latest.amount, 10800)
    const after = await contractorBalance(contractor)
    assert.equal(after.available + after.pending, before.available + before.pending)

    const types = await eventTypes(order)
    for (const type of [
      'dispute.opened',
      'dispute.funds_withdrawn',
      'dispute.share_requested',
      'transfer.reversed',
      'dispute.evidence_submitted',
      'dispute.under_review',
      'dispute.funds_reinstated',
      'dispute.won',
      'transfer.returned',
    ]) {
      assert.include(types, type)
    }

    await runJobs(['send_notification'])
    const sent = mails.sent().filter((mail) => mail.to[0] === 'carla@example.com')
    assert.deepEqual(
      sent.map((mail) => mail.message).filter((message) => message?.startsWith('dispute')),
      ['dispute_opened', 'dispute_closed']
    )
    const page = await client.get(`/orders/${order.id}`).loginAs(employer)
    page.assertTextIncludes('decided in favour of the payment')
    assert.notInclude(page.text(), 'winning_evidence', 'the evidence stays with the admins')
    const own = await client.get(`/orders/${order.id}`).loginAs(contractor)
    own.assertTextIncludes('The $108.00 taken back from you was given back.')
  })

  test('the same lost: the share taken back stays taken, nothing is given back, refunds are refused', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    const { contractor, employer, order, payment } = await disputedHoldOrder()
    const before = await contractorBalance(contractor)
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    const seen = new Set<string>()
    await deliverNewEvents(client, onStripe.id, seen)
    const dispute = await disputeOfOrder(order)

    await submitEvidence(dispute, 'losing_evidence')
    await advanceSandboxClock(RULING)
    assert.include(await deliverNewEvents(client, onStripe.id, seen), 'charge.dispute.closed')

    await dispute.refresh()
    assert.equal(dispute.status, 'lost')
    assert.equal(dispute.outcome, 'lost')
    assert.equal(dispute.reinstatedAmount, 0)
    assert.isNotNull(dispute.settledAt)
    const [reversal] = await TransferReversal.query().where('disputeId', dispute.id)
    assert.equal(reversal.status, 'succeeded')
    assert.equal(reversal.amount, 10800)
    assert.lengthOf(await Transfer.query().where('disputeId', dispute.id), 0)
    const after = await contractorBalance(contractor)
    assert.equal(before.available - after.available, 10800)

    const own = await client.get(`/orders/${order.id}`).loginAs(contractor)
    own.assertTextIncludes('The $108.00 taken back from you is not given back.')
    const theirs = await client.get(`/orders/${order.id}`).loginAs(employer)
    theirs.assertTextIncludes('$120.00 went back to you')
    await runJobs(['send_notification'])
    const closed = mails.sent().find((mail) => mail.message === 'dispute_closed')
    assert.equal(closed?.to[0], 'carla@example.com')
    assert.include(closed!.text, 'is not given back')

    // Stripe refuses a refund of a lost chargeback: said in plain words
    const { result: refund, writes } = await stripeWritesDuring(() =>
      runCommand(OrdersRefund, [String(order.id), '--force'])
    )
    refund.assertExitCode(1)
    assert.match(errorsOf(refund)[0], /dispute was lost .* a refund would pay them twice/)
    assert.deepEqual(writes, [])
    assert.lengthOf(await Refund.all(), 0)
  })

  test('one line of a multi-contractor order: only its contractor gives back their share, given back when won', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    const { carla, olga, employer, order, paid, waiting, transfers, onStripe } =
      await disputedLineOfChargeOrder(7000)
    const [carlasTransfer] = transfers
    assert.equal(carlasTransfer.kind, 'separate')
    assert.equal(carlasTransfer.amount, 6300)
    const before = await contractorBalance(carla)
    const seen = new Set<string>()
    await deliverNewEvents(client, onStripe.id, seen)

    const dispute = await disputeOfOrder(order)
    assert.equal(dispute.amount, 7000)
    // The paid line bears the dispute first; the waiting one is not concerned
    assert.deepEqual(
      dispute.lines.map((line) => [line.orderLineId, line.amount, line.share]),
      [[paid.id, 7000, 6300]]
    )
    const [reversal] = await TransferReversal.query().where('disputeId', dispute.id)
    assert.equal(reversal.transferId, carlasTransfer.id)
    assert.equal(reversal.amount, 6300)
    assert.equal(reversal.status, 'succeeded')
    const during = await contractorBalance(carla)
    assert.equal(before.available - during.available, 6300)

    const carlasPage = await client.get(`/orders/${order.id}`).loginAs(carla)
    carlasPage.assertTextIncludes('bank disputed $70.00 of this payment')
    carlasPage.assertTextIncludes(
      '$63.00 of what you were paid was taken back meanwhile; it is given back if the dispute is won.'
    )
    const olgasPage = await client.get(`/orders/${order.id}`).loginAs(olga)
    assert.notInclude(olgasPage.text(), 'disputed')
    assert.equal(waiting.contractorId, olga.id)

    await submitEvidence(dispute, 'winning_evidence')
    await advanceSandboxClock(RULING)
    await deliverNewEvents(client, onStripe.id, seen)

    await dispute.refresh()
    assert.equal(dispute.status, 'won')
    const [returned] = await Transfer.query().where('disputeId', dispute.id)
    assert.equal(returned.contractorId, carla.id)
    assert.equal(returned.amount, 6300)
    assert.equal(returned.status, 'paid')
    const onStripeReturn = await stripe().transfers.retrieve(returned.stripeTransferId!)
    assert.equal(onStripeReturn.destination, await stripeIdOf(carla))
    assert.equal(onStripeReturn.amount, 6300)
    const employerPage = await client.get(`/orders/${order.id}`).loginAs(employer)
    employerPage.assertTextIncludes('decided in favour of the payment')

    await runJobs(['send_notification'])
    assert.deepEqual(
      mails
        .sent()
        .filter((mail) => mail.message?.startsWith('dispute'))
        .map((mail) => [mail.message, mail.to[0]]),
      [
        ['dispute_opened', 'carla@example.com'],
        ['dispute_closed', 'carla@example.com'],
      ]
    )
  })

  test('one line of a multi-contractor order, lost; a refund during the chargeback is refused up front', async ({
    client,
    assert,
  }) => {
    const { carla, order, paid, onStripe } = await disputedLineOfChargeOrder(7000)
    const seen = new Set<string>()
    await deliverNewEvents(client, onStripe.id, seen)
    const dispute = await disputeOfOrder(order)

    const { result: refund, writes } = await stripeWritesDuring(() =>
      runCommand(OrdersRefund, [String(order.id), `--line=${paid.id}`, '--force'])
    )
    refund.assertExitCode(1)
    assert.match(
      errorsOf(refund)[0],
      new RegExp(
        `open chargeback \\(dispute #${dispute.id}, \\$70\\.00, needs response\\): Stripe refuses refunds`
      )
    )
    assert.deepEqual(writes, [])
    assert.lengthOf(await Refund.all(), 0)

    await submitEvidence(dispute, 'losing_evidence')
    await advanceSandboxClock(RULING)
    await deliverNewEvents(client, onStripe.id, seen)
    await dispute.refresh()
    assert.equal(dispute.status, 'lost')
    assert.lengthOf(await Transfer.query().where('disputeId', dispute.id), 0)
    const carlasPage = await client.get(`/orders/${order.id}`).loginAs(carla)
    carlasPage.assertTextIncludes('The $63.00 taken back from you is not given back.')
  })

  test('Stripe refusing a refund of a charged-back payment is said in plain words', async ({
    client,
    assert,
  }) => {
    const { order, payment } = await disputedHoldOrder()
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    await deliverNewEvents(client, onStripe.id, new Set())
    // Past the console's own check (a refund asked before the dispute was known)
    await assert.rejects(
      () => refundOrder(order.id, { actor: 'console:test', amount: 1000 }),
      /charged back: Stripe refuses refunds while the chargeback is open/
    )
    const [refused] = await Refund.all()
    assert.equal(refused.status, 'failed')
    assert.include(refused.failureMessage!, 'charged back')
  })

  test('an inquiry closes without a chargeback: no money moves, nothing is taken back', async ({
    client,
    assert,
  }) => {
    const { contractor, employer, order, payment } = await disputedHoldOrder(
      'pm_card_createDisputeInquiry'
    )
    const before = await contractorBalance(contractor)
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    const seen = new Set<string>()
    assert.deepEqual(await deliverNewEvents(client, onStripe.id, seen), ['charge.dispute.created'])
    const dispute = await disputeOfOrder(order)
    assert.equal(dispute.status, 'warning_needs_response')
    assert.isTrue(dispute.inquiry)
    assert.isTrue(dispute.isChargeRefundable)
    assert.isNull(dispute.withdrawnAt)
    assert.isNull(dispute.recovery)
    const { payment: flagged } = await stateOf(order)
    assert.isTrue(flagged.disputed)
    const page = await client.get(`/orders/${order.id}`).loginAs(contractor)
    page.assertTextIncludes('This is an inquiry, not a chargeback: no money has moved.')
    // An inquiry does not stop refunds
    await refuseRefundDuringChargeback({ kind: 'order', orderId: order.id })

    await submitEvidence(dispute, 'losing_evidence')
    await advanceSandboxClock(RULING)
    assert.include(await deliverNewEvents(client, onStripe.id, seen), 'charge.dispute.closed')

    await dispute.refresh()
    assert.equal(dispute.status, 'warning_closed')
    assert.equal(dispute.outcome, 'warning_closed')
    assert.isNotNull(dispute.settledAt)
    assert.lengthOf(await TransferReversal.query().where('disputeId', dispute.id), 0)
    assert.lengthOf(await ContractorDebit.query().where('disputeId', dispute.id), 0)
    assert.deepEqual(await contractorBalance(contractor), before)
    const theirs = await client.get(`/orders/${order.id}`).loginAs(employer)
    theirs.assertTextIncludes('closed its inquiry about this payment without a chargeback')
  })
})

test.group('Disputes: webhooks replayed and out of order', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('any order, any number of times: one record, one reversal, one return, never backwards', async ({
    client,
    assert,
  }) => {
    const { order, payment } = await disputedHoldOrder()
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    const [created, withdrawn] = await disputeEvents(onStripe.id)
    assert.equal(created.type, 'charge.dispute.created')
    assert.equal(withdrawn.type, 'charge.dispute.funds_withdrawn')

    // The withdrawal arrives first; then each is delivered again (Stripe retries keep the id)
    await deliver(client, withdrawn)
    await deliver(client, created)
    await deliver(client, withdrawn)
    await deliver(client, created)

    const dispute = await disputeOfOrder(order)
    assert.lengthOf(await Dispute.all(), 1)
    assert.equal(dispute.status, 'needs_response')
    const reversals = await TransferReversal.query().where('disputeId', dispute.id)
    assert.deepEqual(
      reversals.map((row) => [row.amount, row.status]),
      [[10800, 'succeeded']]
    )

    await submitEvidence(dispute, 'winning_evidence')
    await advanceSandboxClock(RULING)
    const ruling = await disputeEvents(onStripe.id, new Set([created.id, withdrawn.id]))
    assert.deepEqual(
      ruling.map((event) => event.type),
      ['charge.dispute.updated', 'charge.dispute.funds_reinstated', 'charge.dispute.closed']
    )
    // The ruling's events in reverse: closed first, the submission's update last
    for (const event of [...ruling].reverse()) {
      await deliver(client, event)
    }
    // A stale copy of the first withdrawal, under another id (as a second endpoint sends it)
    await deliver(client, { ...withdrawn, id: `${withdrawn.id}copy` })

    await dispute.refresh()
    assert.equal(dispute.status, 'won')
    assert.lengthOf(await TransferReversal.query().where('disputeId', dispute.id), 1)
    const returns = await Transfer.query().where('disputeId', dispute.id)
    assert.deepEqual(
      returns.map((row) => [row.amount, row.status]),
      [[10800, 'paid']]
    )
    const types = await eventTypes(order)
    const count = (type: string) => types.filter((candidate) => candidate === type).length
    for (const type of [
      'dispute.opened',
      'dispute.funds_withdrawn',
      'dispute.share_requested',
      'transfer.reversed',
      'dispute.under_review',
      'dispute.funds_reinstated',
      'dispute.won',
      'transfer.returned',
    ]) {
      assert.equal(count(type), 1, type)
    }
  })

  test('a dispute first seen after it was won takes nothing and gives nothing back', async ({
    client,
    assert,
  }) => {
    const { contractor, order, payment } = await disputedHoldOrder()
    const before = await contractorBalance(contractor)
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    await decideSandboxDispute(onStripe.id, 'won')
    const events = await disputeEvents(onStripe.id)
    const closed = events.find((event) => event.type === 'charge.dispute.closed')!

    await deliver(client, closed)

    const dispute = await disputeOfOrder(order)
    assert.equal(dispute.status, 'won')
    assert.equal(dispute.withdrawnAmount, 12000)
    assert.equal(dispute.reinstatedAmount, 12000)
    assert.isNotNull(dispute.settledAt)
    assert.lengthOf(await TransferReversal.query().where('disputeId', dispute.id), 0)
    assert.lengthOf(await Transfer.query().where('disputeId', dispute.id), 0)
    assert.deepEqual(await contractorBalance(contractor), before)
    assert.includeMembers(await eventTypes(order), [
      'dispute.opened',
      'dispute.funds_withdrawn',
      'dispute.funds_reinstated',
      'dispute.won',
    ])
  })

  test('a signed event about a dispute Stripe does not know changes nothing', async ({
    client,
    assert,
  }) => {
    const { order, payment } = await disputedHoldOrder('pm_card_visa')
    const [real] = await stripe()
      .events.list({ type: 'payment_intent.succeeded', limit: 1 })
      .then((list) => list.data)
    await deliver(client, {
      ...real,
      id: 'evt_forged_dispute',
      type: 'charge.dispute.created',
      data: {
        object: {
          id: 'du_unknown',
          object: 'dispute',
          charge: payment.stripeChargeId,
        },
      },
    } as unknown as Stripe.Event)
    assert.lengthOf(await Dispute.all(), 0)
    const { payment: after } = await stateOf(order)
    assert.isFalse(after.disputed)
  })
})

test.group('Disputes: evidence and due dates', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('evidence after the due date is refused before anything is sent', async ({
    client,
    assert,
  }) => {
    const { order, payment } = await disputedHoldOrder()
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    await deliverNewEvents(client, onStripe.id, new Set())
    const dispute = await disputeOfOrder(order)
    assert.isNotNull(dispute.dueBy)
    // Nine days on: past the due date (Stripe closes it as lost; that event is not delivered yet)
    await advanceSandboxClock(9 * DAY)

    const { result: command, writes } = await stripeWritesDuring(() =>
      runCommand(DisputesEvidence, [
        String(dispute.id),
        '--text=Delivered on time, signed receipt attached',
        '--submit',
        '--force',
      ])
    )

    command.assertExitCode(1)
    assert.match(
      errorsOf(command)[0],
      new RegExp(
        `The evidence for dispute #${dispute.id} was due by .* \\(overdue by \\d+ days?\\): it can no longer be sent`
      )
    )
    assert.deepEqual(writes, [])
    assert.lengthOf(await DisputeAction.all(), 0)
    const untouched = await stripe().disputes.retrieve(onStripe.id)
    assert.isNull(untouched.evidence.uncategorized_text)
  })

  test("Stripe's refusal of evidence for a dispute it has closed is said, and the dispute follows Stripe", async ({
    client,
    assert,
  }) => {
    const { order, payment } = await disputedHoldOrder()
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    await deliverNewEvents(client, onStripe.id, new Set())
    const dispute = await disputeOfOrder(order)
    // Lost on Stripe; the webhook saying so has not arrived
    await decideSandboxDispute(onStripe.id, 'lost')

    const command = await runCommand(DisputesEvidence, [
      String(dispute.id),
      '--text=Delivered on time',
      '--submit',
      '--force',
    ])

    command.assertExitCode(1)
    assert.include(
      errorsOf(command)[0],
      'Stripe says this dispute is already closed: nothing more can be sent to the bank.'
    )
    const [refused] = await DisputeAction.all()
    assert.equal(refused.status, 'failed')
    await dispute.refresh()
    assert.equal(dispute.status, 'lost')
  })
})

test.group('Disputes: a crash between writing a row and sending it', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  /** Records the dispute as the webhook would, without driving what follows (the process dies) */
  async function recordOnly(order: Order, stripeDisputeId: string) {
    const onStripe = await stripe().disputes.retrieve(stripeDisputeId)
    const { payment } = await stateOf(order)
    await db.transaction(async (trx) => {
      await lockForOrder(trx, order.id)
      const locked = await Payment.query({ client: trx })
        .where('id', payment.id)
        .forUpdate()
        .firstOrFail()
      await recordDispute(trx, locked, onStripe, actors.stripe('webhook:test'))
    })
    const dispute = await disputeOfOrder(order)
    // What follows is written pending and committed; then the process dies
    await withDisputeLock(dispute.id, (trx, locked) =>
      planDispute(trx, locked, { write: true, actor: actors.system('test') })
    )
    return dispute
  }

  test('a reversal written but never sent is sent by the send_pending_writes job, once', async ({
    assert,
  }) => {
    const { order, payment, transfers } = await disputedHoldOrder()
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    const dispute = await recordOnly(order, onStripe.id)
    const [pending] = await TransferReversal.query().where('disputeId', dispute.id)
    assert.equal(pending.status, 'pending')
    assert.equal(pending.amount, 10800)
    const before = await stripe().transfers.listReversals(transfers[0].stripeTransferId!)
    assert.lengthOf(before.data, 0)

    await enqueue('send_pending_writes', {})
    await runJobs(['send_pending_writes'])
    await enqueue('send_pending_writes', {})
    await runJobs(['send_pending_writes'])

    await pending.refresh()
    assert.equal(pending.status, 'succeeded')
    const after = await stripe().transfers.listReversals(transfers[0].stripeTransferId!)
    assert.deepEqual(
      after.data.map((reversal) => [reversal.amount, reversal.metadata?.crewpay_reversal]),
      [[10800, pending.reference]]
    )
  })

  test('a return written but never sent is sent by stripe:reconcile --fix, once', async ({
    client,
    assert,
  }) => {
    const { contractor, order, payment } = await disputedHoldOrder()
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    const seen = new Set<string>()
    await deliverNewEvents(client, onStripe.id, seen)
    await decideSandboxDispute(onStripe.id, 'won')
    const dispute = await recordOnly(order, onStripe.id)
    const [pending] = await Transfer.query().where('disputeId', dispute.id)
    assert.equal(pending.status, 'pending')
    assert.equal(pending.amount, 10800)
    const sentBefore = await transfersTo(contractor)
    // Older than reconciliation's grace period: it never reached Stripe
    await db
      .from('transfers')
      .where('id', pending.id)
      .update({
        updated_at: DateTime.now()
          .minus({ minutes: PENDING_GRACE_MINUTES + 1 })
          .toJSDate(),
      })

    const command = await runCommand(StripeReconcile, ['--fix', '--force'])

    command.assertSucceeded()
    command.assertLogMatches(new RegExp(`transfer #${pending.id} \\(dispute #${dispute.id}\\)`))
    await pending.refresh()
    assert.equal(pending.status, 'paid')
    const sentAfter = await transfersTo(contractor)
    assert.lengthOf(sentAfter, sentBefore.length + 1)
    assert.equal(sentAfter[0].id, pending.stripeTransferId)
    assert.equal(sentAfter[0].amount, 10800)
    await dispute.refresh()
    assert.isNotNull(dispute.settledAt)
  })

  test('evidence Stripe never answered stays pending; running the command again completes it', async ({
    client,
    assert,
  }) => {
    const { order, payment } = await disputedHoldOrder()
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    await deliverNewEvents(client, onStripe.id, new Set())
    const dispute = await disputeOfOrder(order)
    const argv = [String(dispute.id), '--text=Delivered on May 2', '--submit', '--force']

    const lost = await withStripeUnreachable(() => runCommand(DisputesEvidence, argv))

    lost.assertExitCode(1)
    assert.match(errorsOf(lost)[0], /Stripe did not answer: request #\d+ stays pending/)
    const [pending] = await DisputeAction.all()
    assert.equal(pending.status, 'pending')

    const again = await runCommand(DisputesEvidence, argv)

    again.assertSucceeded()
    again.assertLogMatches(/from an earlier run/)
    assert.lengthOf(await DisputeAction.all(), 1)
    await pending.refresh()
    assert.equal(pending.status, 'succeeded')
    const submitted = await stripe().disputes.retrieve(onStripe.id)
    assert.equal(submitted.evidence_details.submission_count, 1)
    assert.equal(submitted.evidence.uncategorized_text, 'Delivered on May 2')
  })
})

test.group('Disputes: recovering the contractor share by policy', (group) => {
  let restore: MarketplaceConfig
  group.each.setup(async () => {
    await truncateAllTables()
    restore = { ...app.config.get<MarketplaceConfig>('marketplace') }
    ace.ui.switchMode('raw')
    return () => {
      app.config.set('marketplace', restore)
      ace.ui.switchMode('normal')
    }
  })

  test('a balance that cannot cover the reversal: an owed debit, canceled when the dispute is won', async ({
    client,
    assert,
  }) => {
    // Carla's transfer is still pending on her account: nothing available to reverse
    const { carla, order, onStripe } = await disputedLineOfChargeOrder(7000, 0)
    const seen = new Set<string>()
    await deliverNewEvents(client, onStripe.id, seen)

    const dispute = await disputeOfOrder(order)
    const [refused] = await TransferReversal.query().where('disputeId', dispute.id)
    assert.equal(refused.status, 'failed')
    const [owed] = await ContractorDebit.query().where('disputeId', dispute.id)
    assert.equal(owed.status, 'owed')
    assert.equal(owed.amount, 6300)
    assert.equal(owed.contractorId, carla.id)
    assert.include(await eventTypes(order), 'dispute.share_owed')
    const page = await client.get(`/orders/${order.id}`).loginAs(carla)
    page.assertTextIncludes('You owe $63.00 of what you were paid meanwhile')

    await decideSandboxDispute(onStripe.id, 'won')
    await deliverNewEvents(client, onStripe.id, seen)

    await owed.refresh()
    assert.equal(owed.status, 'canceled')
    assert.lengthOf(await Transfer.query().where('disputeId', dispute.id), 0)
    const after = await client.get(`/orders/${order.id}`).loginAs(carla)
    after.assertTextIncludes('You no longer owe $63.00.')
    const collect = await runCommand(ContractorsDebit, [
      'carla@example.com',
      `--collect=${owed.id}`,
      '--force',
    ])
    collect.assertExitCode(1)
    assert.match(errorsOf(collect)[0], /is no longer owed: The dispute was won/)
  })

  test('lost with the share owed: collected once the balance allows', async ({
    client,
    assert,
  }) => {
    const { carla, order, onStripe } = await disputedLineOfChargeOrder(7000, 0)
    const seen = new Set<string>()
    await deliverNewEvents(client, onStripe.id, seen)
    await decideSandboxDispute(onStripe.id, 'lost')
    await deliverNewEvents(client, onStripe.id, seen)
    const dispute = await disputeOfOrder(order)
    assert.equal(dispute.status, 'lost')
    assert.isNotNull(dispute.settledAt)
    const [owed] = await ContractorDebit.query().where('disputeId', dispute.id)
    assert.equal(owed.status, 'owed')

    await advanceSandboxClock(2 * DAY + 60)
    const collect = await runCommand(ContractorsDebit, [
      'carla@example.com',
      `--collect=${owed.id}`,
      '--force',
    ])

    collect.assertSucceeded()
    await owed.refresh()
    assert.equal(owed.status, 'succeeded')
    assert.deepEqual(await contractorBalance(carla), { available: 0, pending: 0 })
  })

  test('DISPUTE_RECOVERY=debit debits the share from the balance, given back when won', async ({
    client,
    assert,
  }) => {
    app.config.set('marketplace.disputeRecovery', 'debit')
    const { contractor, order, payment } = await disputedHoldOrder()
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    const seen = new Set<string>()
    await deliverNewEvents(client, onStripe.id, seen)

    const dispute = await disputeOfOrder(order)
    assert.equal(dispute.recovery, 'debit')
    assert.lengthOf(await TransferReversal.query().where('disputeId', dispute.id), 0)
    const [debit] = await ContractorDebit.query().where('disputeId', dispute.id)
    assert.equal(debit.status, 'succeeded')
    assert.equal(debit.amount, 10800)
    assert.match(debit.stripeId!, /^py_/)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 0 })

    // The policy in force when the funds were withdrawn still applies
    app.config.set('marketplace.disputeRecovery', 'none')
    await decideSandboxDispute(onStripe.id, 'won')
    await deliverNewEvents(client, onStripe.id, seen)
    const [returned] = await Transfer.query().where('disputeId', dispute.id)
    assert.equal(returned.amount, 10800)
    assert.equal(returned.status, 'paid')
  })

  test('DISPUTE_RECOVERY=none: the platform bears it all', async ({ client, assert }) => {
    app.config.set('marketplace.disputeRecovery', 'none')
    const { contractor, order, payment } = await disputedHoldOrder()
    const before = await contractorBalance(contractor)
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    await deliverNewEvents(client, onStripe.id, new Set())

    const dispute = await disputeOfOrder(order)
    assert.equal(dispute.recovery, 'none')
    assert.lengthOf(await TransferReversal.query().where('disputeId', dispute.id), 0)
    assert.lengthOf(await ContractorDebit.query().where('disputeId', dispute.id), 0)
    assert.deepEqual(await contractorBalance(contractor), before)
    const page = await client.get(`/orders/${order.id}`).loginAs(contractor)
    page.assertTextIncludes('Your payout is not affected.')
  })

  test('DISPUTE_FEE_PAID_BY=contractor: a partial dispute takes the proportional share and the fee, both given back when won', async ({
    client,
    assert,
  }) => {
    app.config.set('marketplace.disputeFeePaidBy', 'contractor')
    const { carla, order, paid, onStripe } = await disputedLineOfChargeOrder(3500)
    const seen = new Set<string>()
    await deliverNewEvents(client, onStripe.id, seen)

    const dispute = await disputeOfOrder(order)
    assert.equal(dispute.feePaidBy, 'contractor')
    // $35.00 of Carla's $70.00 line: half of her $63.00, and the whole $15.00 fee (hers alone)
    assert.deepEqual(
      dispute.lines.map((line) => [line.orderLineId, line.amount, line.share, line.feeShare]),
      [[paid.id, 3500, 3150, 1500]]
    )
    const [reversal] = await TransferReversal.query().where('disputeId', dispute.id)
    assert.equal(reversal.amount, 4650)
    assert.equal(reversal.status, 'succeeded')

    await decideSandboxDispute(onStripe.id, 'won')
    await deliverNewEvents(client, onStripe.id, seen)
    await dispute.refresh()
    // The sandbox returns the fee with a win: so is the contractor's part of it
    assert.equal(dispute.reinstatedFee, 1500)
    const [returned] = await Transfer.query().where('disputeId', dispute.id)
    assert.equal(returned.contractorId, carla.id)
    assert.equal(returned.amount, 4650)
  })

  test('a concerned line paid after the funds were withdrawn gives its share once paid', async ({
    client,
    assert,
  }) => {
    // $90.00 disputed: Carla's paid $70.00 line, then $20.00 of Olga's waiting $50.00 line
    const { olga, employer, order, paid, waiting, onStripe } = await disputedLineOfChargeOrder(9000)
    await deliverNewEvents(client, onStripe.id, new Set())
    const dispute = await disputeOfOrder(order)
    assert.deepEqual(
      dispute.lines.map((line) => [line.orderLineId, line.amount, line.share]),
      [
        [paid.id, 7000, 6300],
        [waiting.id, 2000, null],
      ]
    )
    assert.lengthOf(await TransferReversal.query().where('disputeId', dispute.id), 1)

    await completeLine(order, waiting.id, olga, employer)
    await advanceSandboxClock(2 * DAY + 60)
    await enqueue('send_pending_writes', {})
    await runJobs(['send_pending_writes'])

    const reversals = await TransferReversal.query().where('disputeId', dispute.id).orderBy('id')
    // Olga's $45.00 transfer, $20.00 of $50.00 disputed: $18.00
    assert.deepEqual(
      reversals.map((row) => [row.amount, row.status]),
      [
        [6300, 'succeeded'],
        [1800, 'succeeded'],
      ]
    )
  })
})
