import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import app from '@adonisjs/core/services/app'
import type { ApiClient } from '@japa/api-client'
import type User from '#models/user'
import Dispute from '#models/dispute'
import type Payment from '#models/payment'
import type PaymentRequest from '#models/payment_request'
import PaymentEvent from '#models/payment_event'
import Transfer from '#models/transfer'
import TransferReversal from '#models/transfer_reversal'
import ContractorDebit from '#models/contractor_debit'
import DisputesEvidence from '#commands/disputes_evidence'
import OrdersRefund from '#commands/orders_refund'
import DisputesList from '#commands/disputes_list'
import DisputesShow from '#commands/disputes_show'
import StripeReconcile from '#commands/stripe_reconcile'
import type { MarketplaceConfig } from '#config/marketplace'
import { actors } from '#domain/actor'
import { stripe } from '#stripe/client'
import { businessNow } from '#services/clock'
import { setFeePlan } from '#actions/contractors/set_fee_plan'
import { createPaymentRequest } from '#actions/payment_requests/create_request'
import { payRequest } from '#actions/payment_requests/pay_request'
import { requestLinkPath } from '#actions/payment_requests/request_link'
import { truncateAllTables } from '#tests/helpers/database'
import { fakeMail } from '#tests/helpers/mail'
import { runJobs } from '#tests/helpers/jobs'
import {
  advanceSandboxClock,
  createActiveContractor,
  createEmployer,
  defaultCardOf,
  stripeIdOf,
} from '#tests/helpers/stripe'
import {
  DAY,
  decideSandboxDispute,
  deliver,
  deliverNewEvents,
  disputeEvents,
  fundPlatform,
  openSandboxDispute,
  stripeDisputeOf,
} from '#tests/helpers/disputes'
import {
  contractorBalance,
  errorsOf,
  outputOf,
  runCommand,
  stripeWritesDuring,
} from '#tests/functional/console_helpers'

/*
| Disputes on a payment request's payment: a destination charge to the
| request's contractor with the platform's fee, captured at once. Carla's
| fee plan is 12.5% + $0.30: Erin pays $400.00 of a $1,000.00 request, the
| fee is $50.30, Carla receives $349.70.
*/

/** The sandbox rules on winning_evidence / losing_evidence this long after submission */
const RULING = 61
const PAID = 40000
const FEE = 5030
const RECEIVED = PAID - FEE

async function dueIn(days: number) {
  const now = await businessNow()
  return now.toUTC().plus({ days }).toISODate()!
}

/**
 * Carla bills Erin $1,000.00; Erin pays $400.00 with `card` (a dispute test
 * card disputes it once captured); the platform has money to give back from
 */
async function paidRequest(card = 'pm_card_createDispute', amount = PAID) {
  const carla = await createActiveContractor({
    email: 'carla@example.com',
    fullName: 'Carla Contractor',
  })
  await setFeePlan(carla, { basisPoints: 1250, fixed: 30, minimum: null, maximum: null }, 'test')
  const erin = await createEmployer({ email: 'erin@example.com' }, card)
  const request = await createPaymentRequest(carla, {
    employerEmail: 'erin@example.com',
    description: 'Extra drywall found on site',
    amount: 100000,
    currency: 'usd',
    dueDate: await dueIn(30),
  })
  const { payment, outcome } = await payRequest(request, erin, {
    amount,
    method: { kind: 'saved', paymentMethodId: await defaultCardOf(erin) },
    actor: actors.party('employer', erin.id),
  })
  if (outcome !== 'recorded') {
    throw new Error(`The request payment was not recorded: ${outcome}`)
  }
  await payment.refresh()
  await fundPlatform()
  const [transfer] = await Transfer.query()
    .where('paymentId', payment.id)
    .where('kind', 'destination')
  return { carla, erin, request, payment, transfer }
}

async function disputeOfPayment(payment: Payment) {
  return Dispute.query().where('paymentId', payment.id).preload('lines').firstOrFail()
}

async function eventTypes(request: PaymentRequest) {
  const events = await PaymentEvent.query().where('paymentRequestId', request.id).orderBy('id')
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
}

async function transfersTo(contractor: User) {
  const list = await stripe().transfers.list({ destination: await stripeIdOf(contractor) })
  return list.data
}

/** The request's page for its contractor, and the employer's pay page */
async function pages(client: ApiClient, request: PaymentRequest, carla: User, erin: User) {
  const mine = await client.get(`/my/payment-requests/${request.id}`).loginAs(carla)
  mine.assertStatus(200)
  const theirs = await client.get(requestLinkPath(request)!).loginAs(erin)
  theirs.assertStatus(200)
  return { mine: mine.text(), theirs: theirs.text() }
}

/** The contractor's dispute mails so far */
async function disputeMails(mails: ReturnType<typeof fakeMail>, to = 'carla@example.com') {
  await runJobs(['send_notification'])
  return mails
    .sent()
    .filter((mail) => mail.to[0] === to && mail.message?.startsWith('request_dispute'))
}

test.group('Request disputes: the contractor share followed to the cent', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('funds withdrawn: share reversed; evidence submitted; won: share given back, told once', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    const { carla, erin, request, payment, transfer } = await paidRequest()
    assert.equal(payment.applicationFeeAmount, FEE)
    assert.equal(transfer.amount, PAID)
    const before = await contractorBalance(carla)
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    const seen = new Set<string>()

    assert.deepEqual(await deliverNewEvents(client, onStripe.id, seen), [
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
    ])

    const dispute = await disputeOfPayment(payment)
    assert.isNull(dispute.orderId)
    assert.equal(dispute.paymentRequestId, request.id)
    assert.equal(dispute.status, 'needs_response')
    assert.equal(dispute.amount, PAID)
    assert.equal(dispute.withdrawnAmount, PAID)
    assert.equal(dispute.recovery, 'reverse')
    assert.lengthOf(dispute.lines, 1)
    const [line] = dispute.lines
    assert.isNull(line.orderLineId)
    assert.equal(line.contractorId, carla.id)
    assert.equal(line.amount, PAID)
    // $400.00 disputed: Carla received $349.70 of it, the $50.30 fee is the platform's loss
    assert.equal(line.share, RECEIVED)

    const [reversal] = await TransferReversal.query().where('disputeId', dispute.id)
    assert.equal(reversal.status, 'succeeded')
    assert.equal(reversal.transferId, transfer.id)
    assert.equal(reversal.amount, RECEIVED)
    const onStripeTransfer = await stripe().transfers.retrieve(transfer.stripeTransferId!)
    assert.equal(onStripeTransfer.amount_reversed, RECEIVED)
    const during = await contractorBalance(carla)
    assert.equal(before.available + before.pending - (during.available + during.pending), RECEIVED)

    const open = await pages(client, request, carla, erin)
    assert.include(open.mine, 'disputed $400.00 of payment #')
    assert.include(open.mine, '$349.70 of what you were paid was taken back meanwhile')
    assert.include(open.mine, 'Paid, disputed')
    assert.include(open.theirs, 'Your bank disputed $400.00 of payment #')
    assert.include(open.theirs, 'The request counts the payment as paid meanwhile.')
    // The figures: still paid while the bank decides
    assert.match(open.theirs, /data-figure="paid">\$400\.00/)
    assert.match(open.theirs, /data-figure="balance"><strong>\$600\.00/)

    await submitEvidence(dispute, 'winning_evidence')
    await dispute.refresh()
    assert.equal(dispute.status, 'under_review')
    await advanceSandboxClock(RULING)
    assert.includeMembers(await deliverNewEvents(client, onStripe.id, seen), [
      'charge.dispute.funds_reinstated',
      'charge.dispute.closed',
    ])

    await dispute.refresh()
    assert.equal(dispute.status, 'won')
    assert.equal(dispute.reinstatedAmount, PAID)
    assert.isNotNull(dispute.settledAt)
    const [returned] = await Transfer.query().where('disputeId', dispute.id)
    assert.equal(returned.kind, 'dispute_return')
    assert.equal(returned.status, 'paid')
    assert.equal(returned.amount, RECEIVED)
    assert.equal(returned.contractorId, carla.id)
    const [latest] = await transfersTo(carla)
    assert.equal(latest.id, returned.stripeTransferId)
    assert.equal(latest.amount, RECEIVED)
    const after = await contractorBalance(carla)
    assert.equal(after.available + after.pending, before.available + before.pending)

    const types = await eventTypes(request)
    for (const type of [
      'dispute.opened',
      'dispute.funds_withdrawn',
      'dispute.share_requested',
      'transfer.reversed',
      'dispute.under_review',
      'dispute.won',
      'transfer.returned',
    ]) {
      assert.include(types, type)
    }

    const sent = await disputeMails(mails)
    assert.deepEqual(
      sent.map((mail) => mail.message),
      ['request_dispute_opened', 'request_dispute_closed']
    )
    assert.include(sent[0].subject, `request #${request.id}`)
    assert.include(sent[0].text, 'disputed $400.00 of payment #')
    assert.include(sent[1].text, 'The $349.70 taken back from you is given back')
    assert.isEmpty(await disputeMails(mails, 'erin@example.com'))

    const won = await pages(client, request, carla, erin)
    assert.include(won.mine, 'The $349.70 taken back from you was given back.')
    assert.include(won.mine, 'Paid, dispute won')
    assert.include(won.theirs, 'decided in favour of the payment: the payment stays paid.')
    assert.notInclude(won.theirs, 'winning_evidence', 'the evidence stays with the admins')
    assert.notInclude(won.mine, 'winning_evidence')
  })

  test('the same lost: the share taken back stays taken; the payment is marked charged back', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    const { carla, erin, request, payment } = await paidRequest()
    const before = await contractorBalance(carla)
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    const seen = new Set<string>()
    await deliverNewEvents(client, onStripe.id, seen)
    const dispute = await disputeOfPayment(payment)

    await submitEvidence(dispute, 'losing_evidence')
    await advanceSandboxClock(RULING)
    assert.include(await deliverNewEvents(client, onStripe.id, seen), 'charge.dispute.closed')

    await dispute.refresh()
    assert.equal(dispute.status, 'lost')
    assert.equal(dispute.reinstatedAmount, 0)
    assert.isNotNull(dispute.settledAt)
    const [reversal] = await TransferReversal.query().where('disputeId', dispute.id)
    assert.equal(reversal.status, 'succeeded')
    assert.equal(reversal.amount, RECEIVED)
    assert.lengthOf(await Transfer.query().where('disputeId', dispute.id), 0)
    const after = await contractorBalance(carla)
    assert.equal(before.available + before.pending - (after.available + after.pending), RECEIVED)

    const lost = await pages(client, request, carla, erin)
    assert.include(lost.mine, 'The $349.70 taken back from you is not given back.')
    assert.include(lost.mine, 'Paid, charged back')
    assert.include(
      lost.theirs,
      'Your bank decided the dispute in your favour: $400.00 went back to you.'
    )
    assert.include(lost.theirs, 'is marked charged back; the request still counts it as paid.')
    assert.match(lost.theirs, /data-figure="charged-back">\$400\.00 went back to you/)
    // Still counted as paid: the balance due does not reopen
    assert.match(lost.theirs, /data-figure="paid">\$400\.00/)
    assert.match(lost.theirs, /data-figure="balance"><strong>\$600\.00/)

    const sent = await disputeMails(mails)
    assert.deepEqual(
      sent.map((mail) => mail.message),
      ['request_dispute_opened', 'request_dispute_closed']
    )
    assert.include(sent[1].subject, 'was lost')
    assert.include(sent[1].text, 'The $349.70 taken back from you is not given back.')
  })

  test('an inquiry that closes without a chargeback takes nothing', async ({ client, assert }) => {
    const mails = fakeMail()
    const { carla, erin, request, payment } = await paidRequest('pm_card_createDisputeInquiry')
    const before = await contractorBalance(carla)
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    const seen = new Set<string>()
    assert.deepEqual(await deliverNewEvents(client, onStripe.id, seen), ['charge.dispute.created'])
    const dispute = await disputeOfPayment(payment)
    assert.equal(dispute.status, 'warning_needs_response')
    assert.isNull(dispute.withdrawnAt)
    assert.isNull(dispute.recovery)
    const inquiry = await pages(client, request, carla, erin)
    assert.include(inquiry.mine, 'This is an inquiry, not a chargeback: no money has moved.')
    assert.include(inquiry.mine, 'Paid, bank inquiry open')

    await submitEvidence(dispute, 'losing_evidence')
    await advanceSandboxClock(RULING)
    assert.include(await deliverNewEvents(client, onStripe.id, seen), 'charge.dispute.closed')

    await dispute.refresh()
    assert.equal(dispute.status, 'warning_closed')
    assert.isNotNull(dispute.settledAt)
    assert.lengthOf(await TransferReversal.query().where('disputeId', dispute.id), 0)
    assert.lengthOf(await ContractorDebit.query().where('disputeId', dispute.id), 0)
    assert.deepEqual(await contractorBalance(carla), before)
    const closed = await pages(client, request, carla, erin)
    assert.include(closed.theirs, 'closed its inquiry about payment #')
    assert.include(closed.theirs, 'without a chargeback: nothing changes.')
    const sent = await disputeMails(mails)
    assert.deepEqual(
      sent.map((mail) => mail.message),
      ['request_dispute_opened', 'request_dispute_closed']
    )
    assert.include(sent[0].text, 'This is an inquiry, not a chargeback')
  })

  test('a balance that cannot cover the reversal: an owed debit, canceled when won', async ({
    client,
    assert,
  }) => {
    const { carla, request, payment, transfer } = await paidRequest('pm_card_visa')
    // Carla's money becomes available and she pays it all out to her bank
    await advanceSandboxClock(2 * DAY + 60)
    const balance = await contractorBalance(carla)
    assert.equal(balance.available, RECEIVED)
    await stripe().payouts.create(
      { amount: balance.available, currency: 'usd' },
      { stripeAccount: await stripeIdOf(carla) }
    )
    assert.deepEqual(await contractorBalance(carla), { available: 0, pending: 0 })
    // Then the bank disputes half of the payment
    const onStripe = await openSandboxDispute(payment.stripeChargeId!, { amount: 20000 })
    const seen = new Set<string>()
    await deliverNewEvents(client, onStripe.id, seen)

    const dispute = await disputeOfPayment(payment)
    assert.equal(dispute.lines[0].amount, 20000)
    // 34970 × 20000 / 40000 = 17485
    assert.equal(dispute.lines[0].share, 17485)
    const [refused] = await TransferReversal.query().where('disputeId', dispute.id)
    assert.equal(refused.status, 'failed')
    assert.equal(refused.transferId, transfer.id)
    const [owed] = await ContractorDebit.query().where('disputeId', dispute.id)
    assert.equal(owed.status, 'owed')
    assert.equal(owed.amount, 17485)
    assert.equal(owed.contractorId, carla.id)
    assert.isNull(owed.orderId)
    assert.isNull(owed.orderLineId)
    assert.include(owed.reason, `payment request #${request.id}`)
    assert.include(await eventTypes(request), 'dispute.share_owed')
    const page = await client.get(`/my/payment-requests/${request.id}`).loginAs(carla)
    page.assertTextIncludes('You owe $174.85 of what you were paid meanwhile')

    await decideSandboxDispute(onStripe.id, 'won')
    await deliverNewEvents(client, onStripe.id, seen)

    await owed.refresh()
    assert.equal(owed.status, 'canceled')
    await dispute.refresh()
    assert.equal(dispute.status, 'won')
    assert.isNotNull(dispute.settledAt)
    assert.lengthOf(await Transfer.query().where('disputeId', dispute.id), 0)
    const after = await client.get(`/my/payment-requests/${request.id}`).loginAs(carla)
    after.assertTextIncludes('You no longer owe $174.85.')
  })

  test('replayed and out-of-order webhooks: one record, one reversal, one return, one mail each', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    const { request, payment } = await paidRequest()
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    const [created, withdrawn] = await disputeEvents(onStripe.id)
    await deliver(client, withdrawn)
    await deliver(client, created)
    await deliver(client, withdrawn)
    await deliver(client, created)

    const dispute = await disputeOfPayment(payment)
    assert.lengthOf(await Dispute.all(), 1)
    assert.lengthOf(dispute.lines, 1)
    const reversals = await TransferReversal.query().where('disputeId', dispute.id)
    assert.deepEqual(
      reversals.map((row) => [row.amount, row.status]),
      [[RECEIVED, 'succeeded']]
    )

    await submitEvidence(dispute, 'winning_evidence')
    await advanceSandboxClock(RULING)
    const ruling = await disputeEvents(onStripe.id, new Set([created.id, withdrawn.id]))
    for (const event of [...ruling].reverse()) {
      await deliver(client, event)
    }
    for (const event of ruling) {
      await deliver(client, event)
    }
    await deliver(client, { ...withdrawn, id: `${withdrawn.id}copy` })
    // Reconciliation compares it with Stripe and finds nothing to change
    const { result: reconcile, writes } = await stripeWritesDuring(() =>
      runCommand(StripeReconcile, ['--fix', '--force'])
    )
    reconcile.assertSucceeded()
    assert.deepEqual(writes, [])

    await dispute.refresh()
    assert.equal(dispute.status, 'won')
    assert.lengthOf(await TransferReversal.query().where('disputeId', dispute.id), 1)
    const returns = await Transfer.query().where('disputeId', dispute.id)
    assert.deepEqual(
      returns.map((row) => [row.amount, row.status]),
      [[RECEIVED, 'paid']]
    )
    const types = await eventTypes(request)
    for (const type of [
      'dispute.opened',
      'dispute.funds_withdrawn',
      'dispute.share_requested',
      'transfer.reversed',
      'dispute.won',
      'transfer.returned',
    ]) {
      assert.equal(types.filter((candidate) => candidate === type).length, 1, type)
    }
    const sent = await disputeMails(mails)
    assert.deepEqual(
      sent.map((mail) => mail.message),
      ['request_dispute_opened', 'request_dispute_closed']
    )
  })

  test('the console lists and shows a request payment dispute by its request', async ({
    client,
    assert,
  }) => {
    const { request, payment } = await paidRequest()
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    await deliverNewEvents(client, onStripe.id, new Set())
    const dispute = await disputeOfPayment(payment)

    const listed = await runCommand(DisputesList, [])
    listed.assertSucceeded()
    const row = outputOf(listed).find((line) => line.includes(onStripe.id))!
    assert.include(row, `request #${request.id}`)
    assert.include(row, '$400.00')
    const json = await runCommand(DisputesList, ['--json'])
    const [entry] = JSON.parse(outputOf(json)[0])
    assert.equal(entry.payment_request_id, request.id)
    assert.isNull(entry.order_id)

    const shown = await runCommand(DisputesShow, [String(dispute.id)])
    shown.assertSucceeded()
    const text = outputOf(shown).join('\n')
    assert.include(text, `of payment request #${request.id}`)
    assert.include(text, `request #${request.id} Extra drywall found on site`)
    assert.include(text, 'carla@example.com')
    assert.include(text, '$349.70')
    const details = await runCommand(DisputesShow, [String(dispute.id), '--json'])
    const shownJson = JSON.parse(outputOf(details)[0])
    assert.equal(shownJson.payment_request_id, request.id)
    assert.deepInclude(shownJson.lines[0], {
      line_id: null,
      contractor: 'carla@example.com',
      amount: PAID,
      share: RECEIVED,
    })
    assert.equal(shownJson.reversals[0].amount, RECEIVED)
  })
})

test.group('Request disputes: after a refund, and by policy', (group) => {
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

  test('partly refunded, then disputed in full: only what is left is theirs, to the cent; refunds refused meanwhile', async ({
    client,
    assert,
  }) => {
    const { carla, erin, request, payment, transfer } = await paidRequest('pm_card_visa')
    const refunded = await runCommand(OrdersRefund, [
      `--payment=${payment.id}`,
      '--amount=100.00',
      '--force',
    ])
    refunded.assertSucceeded()
    // Carla gave back $100.00 of the transfer and got $12.58 of the fee back: $262.28 left
    const left = await contractorBalance(carla)
    assert.equal(left.available + left.pending, 26228)

    const onStripe = await openSandboxDispute(payment.stripeChargeId!, { amount: PAID })
    const seen = new Set<string>()
    await deliverNewEvents(client, onStripe.id, seen)

    const dispute = await disputeOfPayment(payment)
    // $400.00 disputed; $300.00 is left of the payment: 34970 × 30000 / 40000 = 26227.5 → 26228
    assert.equal(dispute.lines[0].amount, 30000)
    assert.equal(dispute.lines[0].share, 26228)
    const [reversal] = await TransferReversal.query().where('disputeId', dispute.id)
    assert.equal(reversal.status, 'succeeded')
    assert.equal(reversal.amount, 26228)
    // Stripe reversed $100.00 with the refund and $262.28 for the dispute
    const onStripeTransfer = await stripe().transfers.retrieve(transfer.stripeTransferId!)
    assert.equal(onStripeTransfer.amount_reversed, 10000 + 26228)
    const after = await contractorBalance(carla)
    assert.equal(after.available + after.pending, 0)

    const { result: refund, writes } = await stripeWritesDuring(() =>
      runCommand(OrdersRefund, [`--payment=${payment.id}`, '--force'])
    )
    refund.assertExitCode(1)
    assert.match(errorsOf(refund)[0], /Payment #\d+ has an open chargeback/)
    assert.deepEqual(writes, [])

    // Lost: Stripe gives back the $100.00 refunded before; $300.00 was charged back
    await decideSandboxDispute(onStripe.id, 'lost')
    await deliverNewEvents(client, onStripe.id, seen)
    await dispute.refresh()
    assert.equal(dispute.status, 'lost')
    const { mine } = await pages(client, request, carla, erin)
    assert.match(mine, /data-figure="charged-back">\$300\.00 went back to the employer/)
    assert.match(mine, /data-figure="paid">\$400\.00/)
  })

  test('what a refund already reversed is not reversed again: beyond it, a debit (DISPUTE_FEE_PAID_BY=contractor)', async ({
    client,
    assert,
  }) => {
    app.config.set('marketplace.disputeFeePaidBy', 'contractor')
    const { payment, transfer } = await paidRequest('pm_card_visa')
    const refunded = await runCommand(OrdersRefund, [
      `--payment=${payment.id}`,
      '--amount=390.00',
      '--force',
    ])
    refunded.assertSucceeded()
    const onStripe = await openSandboxDispute(payment.stripeChargeId!, { amount: PAID })
    await deliverNewEvents(client, onStripe.id, new Set())

    const dispute = await disputeOfPayment(payment)
    // $10.00 is left of the payment: 34970 × 1000 / 40000 = 874.25 → 874, and the $15.00 fee
    assert.equal(dispute.lines[0].amount, 1000)
    assert.equal(dispute.lines[0].share, 874)
    assert.equal(dispute.lines[0].feeShare, 1500)
    // Only $10.00 of the transfer is left to reverse (the refund reversed $390.00): a debit
    assert.lengthOf(await TransferReversal.query().where('disputeId', dispute.id), 0)
    const onStripeTransfer = await stripe().transfers.retrieve(transfer.stripeTransferId!)
    assert.equal(onStripeTransfer.amount_reversed, 39000)
    const [debit] = await ContractorDebit.query().where('disputeId', dispute.id)
    assert.equal(debit.amount, 874 + 1500)
    assert.include(['succeeded', 'owed'], debit.status)
  })

  test('DISPUTE_RECOVERY=debit debits the share from the balance, given back when won', async ({
    client,
    assert,
  }) => {
    app.config.set('marketplace.disputeRecovery', 'debit')
    const { carla, payment } = await paidRequest('pm_card_visa')
    await advanceSandboxClock(2 * DAY + 60)
    const onStripe = await openSandboxDispute(payment.stripeChargeId!)
    const seen = new Set<string>()
    await deliverNewEvents(client, onStripe.id, seen)

    const dispute = await disputeOfPayment(payment)
    assert.equal(dispute.recovery, 'debit')
    assert.lengthOf(await TransferReversal.query().where('disputeId', dispute.id), 0)
    const [debit] = await ContractorDebit.query().where('disputeId', dispute.id)
    assert.equal(debit.status, 'succeeded')
    assert.equal(debit.amount, RECEIVED)
    assert.isNull(debit.orderLineId)
    assert.match(debit.stripeId!, /^py_/)
    assert.deepEqual(await contractorBalance(carla), { available: 0, pending: 0 })

    await decideSandboxDispute(onStripe.id, 'won')
    await deliverNewEvents(client, onStripe.id, seen)
    const [returned] = await Transfer.query().where('disputeId', dispute.id)
    assert.equal(returned.amount, RECEIVED)
    assert.equal(returned.status, 'paid')
    const after = await contractorBalance(carla)
    assert.equal(after.available + after.pending, RECEIVED)
  })

  test('DISPUTE_RECOVERY=none: the platform bears it all', async ({ client, assert }) => {
    app.config.set('marketplace.disputeRecovery', 'none')
    const { carla, request, payment } = await paidRequest()
    const before = await contractorBalance(carla)
    const onStripe = await stripeDisputeOf(payment.stripeChargeId!)
    await deliverNewEvents(client, onStripe.id, new Set())

    const dispute = await disputeOfPayment(payment)
    assert.equal(dispute.recovery, 'none')
    assert.lengthOf(await TransferReversal.query().where('disputeId', dispute.id), 0)
    assert.lengthOf(await ContractorDebit.query().where('disputeId', dispute.id), 0)
    assert.deepEqual(await contractorBalance(carla), before)
    const page = await client.get(`/my/payment-requests/${request.id}`).loginAs(carla)
    page.assertTextIncludes('Your payout is not affected.')
  })
})
