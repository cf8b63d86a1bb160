import { test } from '@japa/runner'
import Stripe from 'stripe'
import {
  activeAccount,
  advance,
  DAY,
  type Harness,
  startHarness,
  stripeError,
  usdBalance,
} from './helpers.js'

const card = { allowed_payment_method_types: ['card'] }

/** Test-mode rulings on `winning_evidence` / `losing_evidence` arrive this long after submission. */
const OUTCOME_DELAY = 60

async function pay(
  stripe: Stripe,
  paymentMethod: string,
  extra: Partial<Stripe.PaymentIntentCreateParams> = {}
) {
  return stripe.paymentIntents.create({
    amount: 10000,
    currency: 'usd',
    payment_method: paymentMethod,
    confirm: true,
    ...card,
    ...extra,
  })
}

async function disputesOf(stripe: Stripe, charge: string) {
  const list = await stripe.disputes.list({ charge })
  return list.data
}

/** A $100.00 payment disputed by `pm_card_createDispute`; the dispute already open. */
async function chargeback(stripe: Stripe, paymentMethod = 'pm_card_createDispute') {
  const pi = await pay(stripe, paymentMethod)
  const charge = pi.latest_charge as string
  const [dispute] = await disputesOf(stripe, charge)
  return { pi, charge, dispute }
}

/** This platform's events about one dispute (optionally of one type), oldest first. */
async function eventsOf(stripe: Stripe, objectId: string, type = 'charge.dispute.*') {
  const events = await stripe.events.list({ type, limit: 100 })
  return events.data.filter((e) => (e.data.object as { id: string }).id === objectId).reverse()
}

async function eventTypes(stripe: Stripe, objectId: string) {
  const events = await eventsOf(stripe, objectId)
  return events.map((e) => e.type)
}

async function statusOf(stripe: Stripe, dispute: string) {
  const current = await stripe.disputes.retrieve(dispute)
  return current.status
}

async function isDisputed(stripe: Stripe, charge: string) {
  const current = await stripe.charges.retrieve(charge)
  return current.disputed
}

async function adjustments(stripe: Stripe, account?: string) {
  const list = await stripe.balanceTransactions.list(
    { type: 'adjustment', limit: 100 },
    account ? { stripeAccount: account } : {}
  )
  return list.data
}

async function sandboxNow(stripe: Stripe): Promise<number> {
  const clock = await stripe.rawRequest('GET', '/v1/test_helpers/sandbox/clock', {})
  return (clock as unknown as { now: number }).now
}

async function openDispute(stripe: Stripe, params: Record<string, unknown>) {
  const dispute = await stripe.rawRequest('POST', '/v1/test_helpers/sandbox/disputes', params)
  return dispute as unknown as Stripe.Dispute
}

async function evidenceFile(stripe: Stripe, purpose: Stripe.FileCreateParams.Purpose) {
  return stripe.files.create({
    purpose,
    file: { data: Buffer.from('%PDF-1.4 receipt'), name: 'receipt.pdf', type: 'application/pdf' },
  })
}

test.group('Disputes: opening and money', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('a dispute test card is disputed on the clock after capture, never while only held', async ({
    assert,
  }) => {
    const stripe = h.client()
    const held = await pay(stripe, 'pm_card_createDispute', { capture_method: 'manual' })
    const chargeId = held.latest_charge as string
    await advance(stripe, DAY)
    assert.lengthOf(await disputesOf(stripe, chargeId), 0)
    assert.isFalse(await isDisputed(stripe, chargeId))

    const captured = await stripe.paymentIntents.capture(held.id, { amount_to_capture: 6000 })
    // The capture itself answers before the dispute exists (Stripe: ~0.5 s later).
    assert.equal(captured.status, 'succeeded')
    const [dispute] = await disputesOf(stripe, chargeId)
    const charge = await stripe.charges.retrieve(chargeId)
    assert.match(dispute.id, /^du_/)
    assert.equal(dispute.object, 'dispute')
    assert.equal(dispute.amount, 6000)
    assert.equal(dispute.currency, 'usd')
    assert.equal(dispute.charge, chargeId)
    assert.equal(dispute.payment_intent, held.id)
    assert.equal(dispute.reason, 'fraudulent')
    assert.equal(dispute.status, 'needs_response')
    assert.isFalse(dispute.is_charge_refundable)
    assert.deepEqual(dispute.payment_method_details, {
      card: {
        brand: 'visa',
        case_type: 'chargeback',
        network: 'visa',
        network_reason_code: '10.4',
      },
      type: 'card',
    })
    const captureTxn = await stripe.balanceTransactions.retrieve(
      charge.balance_transaction as string
    )
    assert.equal(dispute.created, captureTxn.created)
    const details = dispute.evidence_details
    assert.equal(details.due_by! % DAY, DAY - 1, 'due at the end of a UTC day')
    assert.isAbove(details.due_by! - dispute.created, 8 * DAY - 1)
    assert.isBelow(details.due_by! - dispute.created, 9 * DAY)
    assert.isFalse(details.has_evidence)
    assert.isFalse(details.past_due)
    assert.equal(details.submission_count, 0)
    assert.equal(details.submission_method, 'not_submitted')
    assert.isNull(dispute.evidence.uncategorized_text)
    assert.isNull(dispute.evidence.receipt)
    assert.deepEqual(dispute.evidence.enhanced_evidence, {})
    // The charge: disputed, but nothing refunded and no `dispute` field (gone from the API).
    assert.isTrue(charge.disputed)
    assert.equal(charge.amount_refunded, 4000)
    assert.lengthOf(charge.refunds!.data, 0)
    assert.notProperty(charge, 'dispute')
  })

  test('a chargeback withdraws amount + $15.00 fee from the platform as one adjustment', async ({
    assert,
  }) => {
    const stripe = h.client()
    const { charge, dispute } = await chargeback(stripe)
    assert.lengthOf(dispute.balance_transactions, 1)
    const withdrawal = dispute.balance_transactions[0]
    assert.match(withdrawal.id, /^txn_/)
    assert.equal(withdrawal.type, 'adjustment')
    assert.equal(withdrawal.reporting_category, 'dispute')
    assert.equal(withdrawal.amount, -10000)
    assert.equal(withdrawal.fee, 1500)
    assert.equal(withdrawal.net, -11500)
    assert.equal(withdrawal.currency, 'usd')
    assert.equal(withdrawal.status, 'available')
    assert.equal(withdrawal.source, dispute.id)
    assert.equal(withdrawal.description, `Chargeback withdrawal for ${charge}`)
    assert.deepEqual(withdrawal.fee_details, [
      {
        amount: 1500,
        application: null,
        currency: 'usd',
        description: 'Dispute fee',
        type: 'stripe_fee',
      },
    ])
    assert.deepEqual(await adjustments(stripe), [withdrawal])
    // The charge's own transaction is untouched: +100.00 − 3.20 fee, still pending.
    assert.deepEqual(await usdBalance(stripe), { available: -11500, pending: 9680 })
    const expanded = await stripe.balanceTransactions.retrieve(withdrawal.id, {
      expand: ['source'],
    })
    assert.equal((expanded.source as Stripe.Dispute).id, dispute.id)
  })

  test('destination charge: the platform pays; the connected account keeps its money until the platform reverses', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const pi = await pay(stripe, 'pm_card_createDispute', {
      capture_method: 'manual',
      application_fee_amount: 1000,
      transfer_data: { destination: account.id },
    })
    await stripe.paymentIntents.capture(pi.id)
    const destination = await stripe.charges.retrieve(pi.latest_charge as string)
    const [disputed] = await disputesOf(stripe, destination.id)
    assert.equal(disputed.status, 'needs_response')
    assert.equal(disputed.amount, 10000)

    // Platform: the 115.00 withdrawal; its share of the charge (100 − 3.20 − 100 + 10) pending.
    assert.deepEqual(await usdBalance(stripe), { available: -11500, pending: 680 })
    // Connected account: its payment (100.00 − 10.00 fee) untouched, no adjustment.
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 0, pending: 9000 })
    assert.lengthOf(await adjustments(stripe, account.id), 0)
    const transfer = await stripe.transfers.retrieve(destination.transfer as string)
    assert.equal(transfer.amount_reversed, 0)
    const fee = await stripe.applicationFees.retrieve(destination.application_fee as string)
    assert.equal(fee.amount_refunded, 0)
    // Events go to the platform (no `account`); none on the connected account.
    const events = await eventsOf(stripe, disputed.id)
    assert.isTrue(events.every((e) => e.account === undefined))
    const connectedEvents = await stripe.events.list(
      { type: 'charge.dispute.*' },
      { stripeAccount: account.id }
    )
    assert.lengthOf(connectedEvents.data, 0)

    // Recovering is up to the platform: reversing the transfer works while the dispute is open.
    const reversal = await stripe.transfers.createReversal(transfer.id, { amount: 9000 })
    assert.equal(reversal.amount, 9000)
    assert.deepEqual(await usdBalance(stripe), { available: -11500 + 9000, pending: 680 })
    assert.deepEqual(await usdBalance(stripe, account.id), { available: -9000, pending: 9000 })
  })

  test('product-not-received card: reason product_not_received, network code 13.1', async ({
    assert,
  }) => {
    const stripe = h.client()
    const { dispute } = await chargeback(stripe, 'pm_card_createDisputeProductNotReceived')
    assert.equal(dispute.reason, 'product_not_received')
    assert.equal(dispute.status, 'needs_response')
    assert.equal(dispute.payment_method_details?.card?.network_reason_code, '13.1')
    assert.equal(dispute.balance_transactions[0].net, -11500)
  })

  test('an ordinary card is never disputed', async ({ assert }) => {
    const stripe = h.client()
    const pi = await pay(stripe, 'pm_card_visa')
    await advance(stripe, 10 * DAY)
    assert.lengthOf(await disputesOf(stripe, pi.latest_charge as string), 0)
    assert.lengthOf(await adjustments(stripe), 0)
  })
})

test.group('Disputes: evidence and outcomes', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('staged evidence, then submit with winning_evidence: under review, then won with amount and fee reinstated', async ({
    assert,
  }) => {
    const stripe = h.client()
    const { charge, dispute } = await chargeback(stripe)
    const receipt = await evidenceFile(stripe, 'dispute_evidence')
    const staged = await stripe.disputes.update(dispute.id, {
      evidence: { customer_name: 'Jenny Rosen', receipt: receipt.id },
      submit: false,
    })
    assert.equal(staged.status, 'needs_response')
    assert.isTrue(staged.evidence_details.has_evidence)
    assert.equal(staged.evidence_details.submission_count, 0)
    assert.equal(staged.evidence.receipt, receipt.id)

    const submitted = await stripe.disputes.update(dispute.id, {
      evidence: { uncategorized_text: 'winning_evidence' },
    })
    assert.equal(submitted.status, 'under_review')
    assert.equal(submitted.evidence_details.submission_count, 1)
    assert.equal(submitted.evidence_details.submission_method, 'manual')
    assert.isFalse(submitted.evidence_details.past_due)
    // Staged fields are kept: updates merge per field.
    assert.equal(submitted.evidence.customer_name, 'Jenny Rosen')
    assert.equal(submitted.evidence.uncategorized_text, 'winning_evidence')
    assert.equal(await statusOf(stripe, dispute.id), 'under_review')
    assert.deepEqual(await usdBalance(stripe), { available: -11500, pending: 9680 })

    await advance(stripe, OUTCOME_DELAY)
    const won = await stripe.disputes.retrieve(dispute.id)
    assert.equal(won.status, 'won')
    assert.isTrue(won.is_charge_refundable)
    assert.lengthOf(won.balance_transactions, 2)
    const reinstatement = won.balance_transactions[1]
    assert.equal(reinstatement.type, 'adjustment')
    assert.equal(reinstatement.reporting_category, 'dispute_reversal')
    assert.equal(reinstatement.amount, 10000)
    assert.equal(reinstatement.fee, -1500)
    assert.equal(reinstatement.net, 11500)
    assert.equal(reinstatement.source, dispute.id)
    assert.equal(reinstatement.description, `Chargeback reversal for ${charge}`)
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 9680 })

    const events = await eventsOf(stripe, dispute.id)
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'charge.dispute.created',
        'charge.dispute.funds_withdrawn',
        'charge.dispute.updated',
        'charge.dispute.updated',
        'charge.dispute.funds_reinstated',
        'charge.dispute.closed',
      ]
    )
    const submitEvent = events[3]
    assert.deepInclude(submitEvent.data.previous_attributes as object, { status: 'needs_response' })
    assert.equal((events[5].data.object as Stripe.Dispute).status, 'won')
    assert.isNull(events[5].request?.id ?? null, 'the ruling comes from the clock')

    // After a win refunds work again; the charge stays marked disputed.
    const refund = await stripe.refunds.create({ charge, amount: 1000 })
    assert.equal(refund.status, 'succeeded')
    assert.isTrue(await isDisputed(stripe, charge))
  })

  test('losing_evidence: lost after review; the withdrawal stands and refunds stay refused', async ({
    assert,
  }) => {
    const stripe = h.client()
    const { charge, dispute } = await chargeback(stripe)
    const submitted = await stripe.disputes.update(dispute.id, {
      evidence: { uncategorized_text: 'losing_evidence', product_description: 'Plumbing, 2 h' },
    })
    assert.equal(submitted.status, 'under_review')
    await advance(stripe, OUTCOME_DELAY)
    const lost = await stripe.disputes.retrieve(dispute.id)
    assert.equal(lost.status, 'lost')
    assert.isFalse(lost.is_charge_refundable)
    assert.lengthOf(lost.balance_transactions, 1)
    assert.deepEqual(await usdBalance(stripe), { available: -11500, pending: 9680 })
    assert.deepEqual(await eventTypes(stripe, dispute.id), [
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
      'charge.dispute.updated',
      'charge.dispute.closed',
    ])
    const refused = await stripeError(stripe.refunds.create({ charge }))
    assert.equal(refused.code, 'charge_disputed')
  })

  test('ordinary evidence is not ruled on by itself; the sandbox can rule on it', async ({
    assert,
  }) => {
    const stripe = h.client()
    const { dispute } = await chargeback(stripe)
    await stripe.disputes.update(dispute.id, { evidence: { product_description: 'Tiling' } })
    await advance(stripe, 7 * DAY)
    assert.equal(await statusOf(stripe, dispute.id), 'under_review')
    const decided = (await stripe.rawRequest(
      'POST',
      `/v1/test_helpers/sandbox/disputes/${dispute.id}/decide`,
      { outcome: 'won' }
    )) as unknown as Stripe.Dispute
    assert.equal(decided.status, 'won')
    assert.deepEqual(await usdBalance(stripe), { available: 9680, pending: 0 })
  })

  test('an inquiry moves no money: warning_needs_response → warning_under_review → warning_closed', async ({
    assert,
  }) => {
    const stripe = h.client()
    const { charge, dispute } = await chargeback(stripe, 'pm_card_createDisputeInquiry')
    assert.equal(dispute.status, 'warning_needs_response')
    assert.equal(dispute.reason, 'general')
    assert.isTrue(dispute.is_charge_refundable)
    assert.deepEqual(dispute.balance_transactions, [])
    assert.equal(dispute.payment_method_details?.card?.case_type, 'inquiry')
    assert.equal(dispute.payment_method_details?.card?.network_reason_code, '10')
    assert.isTrue(await isDisputed(stripe, charge))
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 9680 })

    // Refunds stay possible during an inquiry.
    await stripe.refunds.create({ charge, amount: 1000 })
    const submitted = await stripe.disputes.update(dispute.id, {
      evidence: { uncategorized_text: 'winning_evidence' },
    })
    assert.equal(submitted.status, 'warning_under_review')
    await advance(stripe, OUTCOME_DELAY)
    const closed = await stripe.disputes.retrieve(dispute.id)
    assert.equal(closed.status, 'warning_closed')
    assert.deepEqual(closed.balance_transactions, [])
    assert.lengthOf(await adjustments(stripe), 0)
    assert.deepEqual(await usdBalance(stripe), { available: -1000, pending: 9680 })
    assert.deepEqual(await eventTypes(stripe, dispute.id), [
      'charge.dispute.created',
      'charge.dispute.updated',
      'charge.dispute.closed',
    ])
  })

  test('close accepts the dispute: lost at once; closing again or adding evidence is refused', async ({
    assert,
  }) => {
    const stripe = h.client()
    const { dispute } = await chargeback(stripe)
    const closed = await stripe.disputes.close(dispute.id)
    assert.equal(closed.status, 'lost')
    assert.isFalse(closed.is_charge_refundable)
    assert.lengthOf(closed.balance_transactions, 1)
    assert.deepEqual(await usdBalance(stripe), { available: -11500, pending: 9680 })
    assert.deepEqual(await eventTypes(stripe, dispute.id), [
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
      'charge.dispute.closed',
    ])
    const again = await stripeError(stripe.disputes.close(dispute.id))
    assert.equal(again.statusCode, 400)
    assert.equal(again.type, 'StripeInvalidRequestError')
    assert.equal(again.message, 'This dispute is already closed')
    const evidence = await stripeError(
      stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'winning_evidence' } })
    )
    assert.equal(evidence.message, 'This dispute is already closed')
    // Metadata stays editable.
    const tagged = await stripe.disputes.update(dispute.id, { metadata: { case: '7' } })
    assert.deepEqual(tagged.metadata, { case: '7' })
    assert.equal(tagged.status, 'lost')
    assert.equal(tagged.evidence_details.submission_count, 0)
  })

  test('no evidence by due_by: lost on the clock, and evidence afterwards is refused', async ({
    assert,
  }) => {
    const stripe = h.client()
    const { dispute } = await chargeback(stripe)
    await stripe.disputes.update(dispute.id, {
      evidence: { customer_name: 'Jenny Rosen' },
      submit: false,
    })
    const now = await sandboxNow(stripe)
    await advance(stripe, dispute.evidence_details.due_by! - now - 30)
    // Half a minute before the due date: still open.
    assert.equal(await statusOf(stripe, dispute.id), 'needs_response')
    await advance(stripe, 40)
    const lost = await stripe.disputes.retrieve(dispute.id)
    assert.equal(lost.status, 'lost')
    assert.equal(lost.evidence_details.submission_count, 0)
    const late = await stripeError(
      stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'winning_evidence' } })
    )
    assert.equal(late.statusCode, 400)
    assert.equal(late.message, 'This dispute is already closed')
    const closedEvents = await eventsOf(stripe, dispute.id, 'charge.dispute.closed')
    assert.lengthOf(closedEvents, 1)
    assert.equal(closedEvents[0].created, dispute.evidence_details.due_by! + 1)
    assert.deepEqual(await usdBalance(stripe), { available: -11500 + 9680, pending: 0 })
  })

  test('evidence is checked before anything changes', async ({ assert }) => {
    const stripe = h.client()
    const { dispute } = await chargeback(stripe)
    const tooLong = await stripeError(
      stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'x'.repeat(20_001) } })
    )
    assert.equal(tooLong.param, 'evidence[uncategorized_text]')
    const nameTooLong = await stripeError(
      stripe.disputes.update(dispute.id, { evidence: { customer_name: 'x'.repeat(5_001) } })
    )
    assert.equal(nameTooLong.param, 'evidence[customer_name]')
    const long = 'x'.repeat(20_000)
    const tooMuch = await stripeError(
      stripe.disputes.update(dispute.id, {
        evidence: {
          access_activity_log: long,
          cancellation_policy_disclosure: long,
          cancellation_rebuttal: long,
          duplicate_charge_explanation: long,
          product_description: long,
          refund_policy_disclosure: long,
          refund_refusal_explanation: long,
          uncategorized_text: long,
        },
      })
    )
    assert.equal(tooMuch.param, 'evidence')
    const identity = await evidenceFile(stripe, 'identity_document')
    const wrongPurpose = await stripeError(
      stripe.disputes.update(dispute.id, { evidence: { receipt: identity.id } })
    )
    assert.equal(wrongPurpose.param, 'evidence[receipt]')
    assert.include(wrongPurpose.message, 'dispute_evidence')
    const otherPlatformFile = await evidenceFile(h.client(), 'dispute_evidence')
    const foreign = await stripeError(
      stripe.disputes.update(dispute.id, { evidence: { receipt: otherPlatformFile.id } })
    )
    assert.equal(foreign.code, 'resource_missing')
    assert.equal(foreign.param, 'evidence[receipt]')
    const nothing = await stripeError(stripe.disputes.update(dispute.id, { submit: true }))
    assert.equal(nothing.param, 'evidence')
    const gif = await stripeError(
      stripe.files.create({
        purpose: 'dispute_evidence',
        file: { data: Buffer.from('GIF89a'), name: 'a.gif', type: 'image/gif' },
      })
    )
    assert.equal(gif.param, 'file')

    const unchanged = await stripe.disputes.retrieve(dispute.id)
    assert.equal(unchanged.status, 'needs_response')
    assert.isFalse(unchanged.evidence_details.has_evidence)
    assert.deepEqual(await eventTypes(stripe, dispute.id), [
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
    ])
  })

  test('a second submission while under review is refused', async ({ assert }) => {
    const stripe = h.client()
    const { dispute } = await chargeback(stripe)
    await stripe.disputes.update(dispute.id, { evidence: { product_description: 'Tiling' } })
    const second = await stripeError(
      stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'winning_evidence' } })
    )
    assert.equal(second.statusCode, 400)
    const kept = await stripe.disputes.retrieve(dispute.id)
    assert.equal(kept.evidence_details.submission_count, 1)
    assert.isNull(kept.evidence.uncategorized_text)
  })
})

test.group('Disputes: refunds, lists, idempotency, sandbox controls', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('a refund of a charge under an open chargeback is refused (charge_disputed)', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const pi = await pay(stripe, 'pm_card_createDispute', {
      application_fee_amount: 1000,
      transfer_data: { destination: account.id },
    })
    const chargeId = pi.latest_charge as string
    assert.lengthOf(await disputesOf(stripe, chargeId), 1)
    const refused = await stripeError(
      stripe.refunds.create({
        payment_intent: pi.id,
        amount: 2000,
        reverse_transfer: true,
        refund_application_fee: true,
      })
    )
    assert.instanceOf(refused, Stripe.errors.StripeInvalidRequestError)
    assert.equal(refused.statusCode, 400)
    assert.equal(refused.code, 'charge_disputed')
    assert.equal(
      refused.message,
      `Charge ${chargeId} has been charged back; cannot issue a refund.`
    )
    const plain = await stripeError(stripe.refunds.create({ charge: chargeId }))
    assert.equal(plain.code, 'charge_disputed')
    const charge = await stripe.charges.retrieve(chargeId)
    assert.equal(charge.amount_refunded, 0)
    const refunds = await stripe.refunds.list({ charge: chargeId })
    assert.lengthOf(refunds.data, 0)
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 0, pending: 9000 })
  })

  test('list newest first with charge, payment_intent and created filters; retrieve; expand; 404', async ({
    assert,
  }) => {
    const stripe = h.client()
    const first = await chargeback(stripe)
    await advance(stripe, 10)
    const second = await chargeback(stripe, 'pm_card_createDisputeInquiry')
    const all = await stripe.disputes.list()
    assert.deepEqual(
      all.data.map((d) => d.id),
      [second.dispute.id, first.dispute.id]
    )
    assert.equal(all.url, '/v1/disputes')
    const page = await stripe.disputes.list({ limit: 1 })
    assert.isTrue(page.has_more)
    const next = await stripe.disputes.list({ limit: 1, starting_after: page.data[0].id })
    assert.deepEqual(
      next.data.map((d) => d.id),
      [first.dispute.id]
    )
    const byIntent = await stripe.disputes.list({ payment_intent: first.pi.id })
    assert.deepEqual(
      byIntent.data.map((d) => d.id),
      [first.dispute.id]
    )
    const byCreated = await stripe.disputes.list({ created: { gt: first.dispute.created } })
    assert.deepEqual(
      byCreated.data.map((d) => d.id),
      [second.dispute.id]
    )
    const expanded = await stripe.disputes.list({ expand: ['data.charge'] })
    assert.equal((expanded.data[1].charge as Stripe.Charge).id, first.charge)

    const retrieved = await stripe.disputes.retrieve(first.dispute.id, {
      expand: ['charge', 'payment_intent'],
    })
    assert.equal((retrieved.charge as Stripe.Charge).id, first.charge)
    assert.isTrue((retrieved.charge as Stripe.Charge).disputed)
    assert.equal((retrieved.payment_intent as Stripe.PaymentIntent).id, first.pi.id)

    const missing = await stripeError(stripe.disputes.retrieve('du_nope'))
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.code, 'resource_missing')
    assert.equal(missing.param, 'dispute')
    assert.equal(missing.message, "No such dispute: 'du_nope'")
    // Another platform does not see them.
    const other = h.client()
    const othersList = await other.disputes.list()
    assert.lengthOf(othersList.data, 0)
    const hidden = await stripeError(other.disputes.retrieve(first.dispute.id))
    assert.equal(hidden.statusCode, 404)
  })

  test('replays are safe: a replayed capture, submission or close happens once', async ({
    assert,
  }) => {
    const stripe = h.client()
    const held = await pay(stripe, 'pm_card_createDispute', { capture_method: 'manual' })
    await stripe.paymentIntents.capture(held.id, {}, { idempotencyKey: 'capture-1' })
    const replayedCapture = await stripe.paymentIntents.capture(
      held.id,
      {},
      { idempotencyKey: 'capture-1' }
    )
    assert.equal(replayedCapture.lastResponse.headers['idempotent-replayed'], 'true')
    const chargeId = held.latest_charge as string
    const [dispute] = await disputesOf(stripe, chargeId)
    assert.lengthOf(await disputesOf(stripe, chargeId), 1)
    assert.lengthOf(await adjustments(stripe), 1)

    const evidence = { evidence: { product_description: 'Tiling' } }
    const submitted = await stripe.disputes.update(dispute.id, evidence, {
      idempotencyKey: 'submit-1',
    })
    const replayed = await stripe.disputes.update(dispute.id, evidence, {
      idempotencyKey: 'submit-1',
    })
    assert.equal(replayed.lastResponse.headers['idempotent-replayed'], 'true')
    assert.equal(replayed.evidence_details.submission_count, 1)
    assert.equal(replayed.status, submitted.status)
    const updates = await eventsOf(stripe, dispute.id, 'charge.dispute.updated')
    assert.lengthOf(updates, 1)
    assert.equal(updates[0].request?.idempotency_key, 'submit-1')

    const closed = await stripe.disputes.close(dispute.id, {}, { idempotencyKey: 'close-1' })
    const closedAgain = await stripe.disputes.close(dispute.id, {}, { idempotencyKey: 'close-1' })
    assert.equal(closedAgain.lastResponse.headers['idempotent-replayed'], 'true')
    assert.equal(closedAgain.status, closed.status)
    const fresh = await stripeError(stripe.disputes.close(dispute.id, {}, { idempotencyKey: 'x' }))
    assert.equal(fresh.message, 'This dispute is already closed')
    const closes = await eventsOf(stripe, dispute.id, 'charge.dispute.closed')
    assert.lengthOf(closes, 1)
    assert.lengthOf(await adjustments(stripe), 1)
  })

  test('sandbox control: a partial refund, then a dispute for the full amount; lost → the refunded part comes back', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await pay(stripe, 'pm_card_bypassPending')
    const chargeId = pi.latest_charge as string
    await stripe.refunds.create({ charge: chargeId, amount: 3000 })
    assert.deepEqual(await usdBalance(stripe), { available: 9680 - 3000, pending: 0 })
    const dispute = await openDispute(stripe, { charge: chargeId, reason: 'duplicate' })
    assert.equal(dispute.amount, 10000)
    assert.equal(dispute.reason, 'duplicate')
    assert.deepEqual(await usdBalance(stripe), { available: 9680 - 3000 - 11500, pending: 0 })
    const lost = await stripe.disputes.close(dispute.id)
    assert.equal(lost.status, 'lost')
    assert.lengthOf(lost.balance_transactions, 2)
    const back = lost.balance_transactions[1]
    assert.equal(back.amount, 3000)
    assert.equal(back.fee, 0)
    assert.equal(back.reporting_category, 'dispute_reversal')
    assert.deepEqual(await usdBalance(stripe), { available: 9680 - 11500, pending: 0 })
    assert.deepEqual(await eventTypes(stripe, dispute.id), [
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
      'charge.dispute.funds_reinstated',
      'charge.dispute.closed',
    ])
  })

  test('sandbox control: a partial dispute; what cannot be disputed is refused', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await pay(stripe, 'pm_card_visa')
    const partial = await openDispute(stripe, { charge: pi.latest_charge, amount: 2500 })
    assert.equal(partial.amount, 2500)
    assert.equal(partial.balance_transactions[0].net, -4000)
    const tooMuch = await stripeError(
      openDispute(stripe, { charge: pi.latest_charge, amount: 10001 })
    )
    assert.equal(tooMuch.param, 'amount')

    const refunded = await pay(stripe, 'pm_card_visa')
    await stripe.refunds.create({ payment_intent: refunded.id })
    const full = await stripeError(openDispute(stripe, { charge: refunded.latest_charge }))
    assert.equal(full.param, 'charge')
    assert.include(full.message, 'fully refunded')
    const held = await pay(stripe, 'pm_card_visa', { capture_method: 'manual' })
    const uncaptured = await stripeError(openDispute(stripe, { charge: held.latest_charge }))
    assert.include(uncaptured.message, 'captured')
    const unknown = await stripeError(openDispute(stripe, { charge: 'ch_nope' }))
    assert.equal(unknown.code, 'resource_missing')
  })

  test('ACH dispute profile (pm_usBankAccount_dispute): withdrawn and lost at once, no evidence', async ({
    assert,
  }) => {
    // Until ACH PaymentMethods exist, the profile is applied to a card charge by the sandbox control.
    const stripe = h.client()
    const pi = await pay(stripe, 'pm_card_bypassPending')
    const dispute = await openDispute(stripe, {
      charge: pi.latest_charge,
      test_payment_method: 'pm_usBankAccount_dispute',
    })
    assert.equal(dispute.status, 'lost')
    assert.equal(dispute.reason, 'debit_not_authorized')
    assert.isNull(dispute.evidence_details.due_by)
    assert.isNull(dispute.payment_method_details ?? null)
    assert.isFalse(dispute.is_charge_refundable)
    assert.equal(dispute.balance_transactions[0].net, -11500)
    assert.deepEqual(await usdBalance(stripe), { available: 9680 - 11500, pending: 0 })
    assert.deepEqual(await eventTypes(stripe, dispute.id), [
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
      'charge.dispute.closed',
    ])
    const evidence = await stripeError(
      stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'winning_evidence' } })
    )
    assert.equal(evidence.message, 'This dispute is already closed')
    const refund = await stripeError(stripe.refunds.create({ payment_intent: pi.id }))
    assert.equal(refund.code, 'charge_disputed')
  })
})
