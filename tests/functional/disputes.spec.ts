import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import type User from '#models/user'
import type Order from '#models/order'
import type Service from '#models/service'
import type Dispute from '#models/dispute'
import PaymentEvent from '#models/payment_event'
import Transfer from '#models/transfer'
import TransferReversal from '#models/transfer_reversal'
import ContractorDebit from '#models/contractor_debit'
import Refund from '#models/refund'
import DisputesEvidence from '#commands/disputes_evidence'
import OrdersRefund from '#commands/orders_refund'
import { actors } from '#domain/actor'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { fakeMail } from '#tests/helpers/mail'
import { runJobs } from '#tests/helpers/jobs'
import {
  advanceSandboxClock,
  createActiveContractor,
  createEmployer,
  stripeIdOf,
} from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import {
  deliverNewEvents,
  disputeOfOrder,
  openSandboxDispute,
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
import { acceptLine } from '#actions/orders/accept_line'
import { deliverLine } from '#actions/orders/deliver_line'
import { approveLines } from '#actions/orders/approve_line'

const DAY = 86_400
/** The sandbox rules on winning_evidence / losing_evidence this long after submission */
const RULING = 61

/** The contractor accepts and delivers, the employer approves: the line is paid */
async function completeLine(order: Order, lineId: number | null, contractor: User, employer: User) {
  await acceptLine(order.id, lineId, contractor)
  await deliverLine(order.id, lineId, contractor)
  await approveLines(order.id, lineId, actors.party('employer', employer.id))
}

/**
 * A one-line order (hold flow) paid with a card that is disputed once
 * captured: $120.00, the platform's fee $12.00. The work is approved (the
 * hold captured, the contractor paid $108.00 by the destination charge),
 * then two days pass (the contractor's funds become available).
 */
async function disputedHoldOrder(card = 'pm_card_createDispute') {
  const contractor = await createActiveContractor({ email: 'carla@example.com' })
  const employer = await createEmployer({ email: 'erin@example.com' }, card)
  const service = await createService(contractor, { price: 12000 })
  const order = await placeTestOrder(employer, service)
  await completeLine(order, null, contractor, employer)
  await advanceSandboxClock(2 * DAY + 60)
  const { payment, transfers, line } = await stateOf(order)
  return { contractor, employer, order, payment, transfers, line }
}

/**
 * A two-contractor order (charge flow, captured at once): Carla's $70.00
 * line approved and paid ($63.00 transferred), Olga's $50.00 line still
 * waiting; two days pass. Then the employer's bank disputes `amount` of the
 * charge.
 */
async function disputedLineOfChargeOrder(amount = 7000, daysAfterPaying = 2) {
  const carla = await createActiveContractor({ email: 'carla@example.com' })
  const olga = await createActiveContractor({ email: 'olga@example.com' })
  const employer = await createEmployer({ email: 'erin@example.com' })
  const services: [Service, Service] = [
    await createService(carla, { title: 'Kitchen repaint', price: 7000 }),
    await createService(olga, { title: 'Garden fence', price: 5000 }),
  ]
  const order = await placeTestOrder(employer, services)
  const {
    lines: [paid, waiting],
  } = await stateOf(order)
  await completeLine(order, paid.id, carla, employer)
  if (daysAfterPaying) {
    await advanceSandboxClock(daysAfterPaying * DAY + 60)
  }
  const { payment, transfers } = await stateOf(order)
  const onStripe = await openSandboxDispute(payment.stripeChargeId!, { amount })
  return { carla, olga, employer, order, paid, waiting, payment, transfers, onStripe }
}

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
    await refuseRefundDuringChargeback(order.id)

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
