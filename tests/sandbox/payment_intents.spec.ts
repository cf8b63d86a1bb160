import { test } from '@japa/runner'
import type Stripe from 'stripe'
import { advance, DAY, type Harness, startHarness, stripeError, usdBalance } from './helpers.js'

const card = { allowed_payment_method_types: ['card'] }

async function hold(
  stripe: Stripe,
  amount = 10000,
  extra: Partial<Stripe.PaymentIntentCreateParams> = {}
) {
  return stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    capture_method: 'manual',
    confirm: true,
    ...card,
    ...extra,
  })
}

async function eventTypes(stripe: Stripe, objectId: string): Promise<string[]> {
  const events = await stripe.events.list({ limit: 100 })
  return events.data
    .filter((e) => (e.data.object as { id?: string }).id === objectId)
    .map((e) => e.type)
    .reverse()
}

test.group('PaymentIntents: manual capture', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('create without confirm, then confirm: requires_capture with the amount capturable', async ({
    assert,
  }) => {
    const stripe = h.client()
    const created = await stripe.paymentIntents.create({
      amount: 4200,
      currency: 'usd',
      capture_method: 'manual',
      metadata: { order_id: '42' },
      transfer_group: 'order_42',
      ...card,
    })
    assert.equal(created.status, 'requires_payment_method')
    assert.equal(created.amount_capturable, 0)
    assert.isNull(created.latest_charge)
    const updated = await stripe.paymentIntents.update(created.id, {
      payment_method: 'pm_card_visa',
    })
    assert.equal(updated.status, 'requires_confirmation')
    const confirmed = await stripe.paymentIntents.confirm(created.id)
    assert.equal(confirmed.status, 'requires_capture')
    assert.equal(confirmed.amount_capturable, 4200)
    assert.equal(confirmed.amount_received, 0)
    assert.deepEqual(confirmed.metadata, { order_id: '42' })
    const charge = await stripe.charges.retrieve(confirmed.latest_charge as string)
    assert.isFalse(charge.captured)
    assert.isTrue(charge.paid)
    assert.equal(charge.status, 'succeeded')
    assert.equal(charge.transfer_group, 'order_42')
    assert.isNull(charge.balance_transaction)
    assert.equal(charge.payment_method_details?.card?.capture_before, charge.created + 7 * DAY)
    assert.deepEqual(await eventTypes(stripe, created.id), [
      'payment_intent.created',
      'payment_intent.amount_capturable_updated',
    ])
  })

  test('a hold moves no money; capture moves it with Stripe’s fee', async ({ assert }) => {
    const stripe = h.client()
    const pi = await hold(stripe, 10000)
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 0 })
    const txns = await stripe.balanceTransactions.list()
    assert.lengthOf(txns.data, 0)
    const captured = await stripe.paymentIntents.capture(pi.id)
    assert.equal(captured.status, 'succeeded')
    assert.equal(captured.amount_received, 10000)
    assert.equal(captured.amount_capturable, 0)
    const charge = await stripe.charges.retrieve(captured.latest_charge as string, {
      expand: ['balance_transaction'],
    })
    assert.isTrue(charge.captured)
    assert.equal(charge.amount_captured, 10000)
    const txn = charge.balance_transaction as Stripe.BalanceTransaction
    assert.equal(txn.type, 'charge')
    assert.equal(txn.reporting_category, 'charge')
    assert.equal(txn.status, 'pending')
    assert.equal(txn.fee, 320)
    assert.equal(txn.net, 9680)
    assert.equal(txn.source, charge.id)
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 9680 })
    assert.includeMembers(await eventTypes(stripe, charge.id), [
      'charge.succeeded',
      'charge.captured',
    ])
    assert.include(await eventTypes(stripe, pi.id), 'payment_intent.succeeded')
  })

  test('US card funds become available after 2 days; bypassPending at once', async ({ assert }) => {
    const stripe = h.client()
    const pi = await hold(stripe, 10000)
    await stripe.paymentIntents.capture(pi.id)
    await advance(stripe, 2 * DAY - 60)
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 9680 })
    await advance(stripe, 60)
    assert.deepEqual(await usdBalance(stripe), { available: 9680, pending: 0 })
    const available = await stripe.events.list({ type: 'balance.available' })
    assert.lengthOf(available.data, 1)
    const instant = await hold(stripe, 5000, { payment_method: 'pm_card_bypassPending' })
    await stripe.paymentIntents.capture(instant.id)
    assert.deepEqual(await usdBalance(stripe), { available: 9680 + 4825, pending: 0 })
  })

  test('partial capture releases the rest; the fee is on the captured amount', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await hold(stripe, 10000)
    const captured = await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 6000 })
    assert.equal(captured.status, 'succeeded')
    assert.equal(captured.amount_received, 6000)
    assert.equal(captured.amount_capturable, 0)
    const charge = await stripe.charges.retrieve(captured.latest_charge as string, {
      expand: ['balance_transaction'],
    })
    assert.equal(charge.amount, 10000)
    assert.equal(charge.amount_captured, 6000)
    assert.equal(charge.amount_refunded, 4000)
    assert.isFalse(charge.refunded)
    const txn = charge.balance_transaction as Stripe.BalanceTransaction
    assert.equal(txn.amount, 6000)
    assert.equal(txn.fee, 204)
    assert.equal(txn.net, 5796)
    const tooMuch = await hold(stripe, 1000)
    const error = await stripeError(
      stripe.paymentIntents.capture(tooMuch.id, { amount_to_capture: 1001 })
    )
    assert.equal(error.statusCode, 400)
    assert.equal(error.param, 'amount_to_capture')
  })

  test('capture in the wrong state is payment_intent_unexpected_state', async ({ assert }) => {
    const stripe = h.client()
    const pi = await hold(stripe)
    await stripe.paymentIntents.capture(pi.id)
    const twice = await stripeError(stripe.paymentIntents.capture(pi.id))
    assert.equal(twice.statusCode, 400)
    assert.equal(twice.code, 'payment_intent_unexpected_state')
    assert.equal(
      twice.message,
      'This PaymentIntent could not be captured because it has a status of succeeded. Only a ' +
        'PaymentIntent with one of the following statuses may be captured: requires_capture.'
    )
    assert.equal(twice.payment_intent?.id, pi.id)
    const unconfirmed = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' })
    const early = await stripeError(stripe.paymentIntents.capture(unconfirmed.id))
    assert.equal(early.code, 'payment_intent_unexpected_state')
    assert.include(early.message, 'status of requires_payment_method')
  })

  test('cancel a hold with a reason: canceled, charge refunded, no money moved', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await hold(stripe, 7000)
    const canceled = await stripe.paymentIntents.cancel(pi.id, {
      cancellation_reason: 'requested_by_customer',
    })
    assert.equal(canceled.status, 'canceled')
    assert.equal(canceled.cancellation_reason, 'requested_by_customer')
    assert.equal(canceled.amount_capturable, 0)
    assert.isNumber(canceled.canceled_at)
    const charge = await stripe.charges.retrieve(pi.latest_charge as string)
    assert.isTrue(charge.refunded)
    assert.equal(charge.amount_refunded, 7000)
    assert.isFalse(charge.captured)
    const refunds = await stripe.refunds.list({ charge: charge.id })
    assert.lengthOf(refunds.data, 1)
    assert.isNull(refunds.data[0].balance_transaction)
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 0 })
    assert.includeMembers(await eventTypes(stripe, pi.id), ['payment_intent.canceled'])
    assert.includeMembers(await eventTypes(stripe, charge.id), ['charge.refunded'])
    const again = await stripeError(stripe.paymentIntents.cancel(pi.id))
    assert.equal(again.code, 'payment_intent_unexpected_state')
    assert.include(again.message, 'because it has a status of canceled')
    const after = await stripeError(stripe.paymentIntents.capture(pi.id))
    assert.equal(after.code, 'payment_intent_unexpected_state')
  })

  test('a succeeded PaymentIntent cannot be canceled', async ({ assert }) => {
    const stripe = h.client()
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      ...card,
    })
    assert.equal(pi.status, 'succeeded')
    const error = await stripeError(stripe.paymentIntents.cancel(pi.id))
    assert.equal(error.code, 'payment_intent_unexpected_state')
    assert.equal(
      error.message,
      'You cannot cancel this PaymentIntent because it has a status of succeeded. Only a ' +
        'PaymentIntent with one of the following statuses may be canceled: ' +
        'requires_payment_method, requires_capture, requires_confirmation, requires_action, ' +
        'processing.'
    )
  })

  test('an uncaptured authorization expires after 7 days', async ({ assert }) => {
    const stripe = h.client()
    const pi = await hold(stripe, 8000)
    await advance(stripe, 6 * DAY)
    const stillHeld = await stripe.paymentIntents.retrieve(pi.id)
    assert.equal(stillHeld.status, 'requires_capture')
    await advance(stripe, DAY + 1)
    const expired = await stripe.paymentIntents.retrieve(pi.id)
    assert.equal(expired.status, 'canceled')
    assert.equal(expired.cancellation_reason, 'automatic')
    assert.equal(expired.amount_capturable, 0)
    const charge = await stripe.charges.retrieve(pi.latest_charge as string)
    assert.equal(expired.canceled_at, charge.created + 7 * DAY)
    assert.isFalse(charge.captured)
    assert.equal(charge.amount_captured, 0)
    assert.isTrue(charge.refunded)
    assert.equal(charge.amount_refunded, 8000)
    const refunds = await stripe.refunds.list({ charge: charge.id })
    assert.equal(refunds.data[0].reason, 'expired_uncaptured_charge')
    assert.equal(refunds.data[0].status, 'succeeded')
    assert.isNull(refunds.data[0].balance_transaction)
    const expiredEvents = await stripe.events.list({ type: 'charge.expired' })
    assert.equal((expiredEvents.data[0].data.object as Stripe.Charge).id, charge.id)
    assert.isNull(expiredEvents.data[0].request?.id)
    assert.include(await eventTypes(stripe, pi.id), 'payment_intent.canceled')
    const late = await stripeError(stripe.paymentIntents.capture(pi.id))
    assert.equal(late.code, 'payment_intent_unexpected_state')
    assert.include(late.message, 'it has a status of canceled')
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 0 })
  })

  test('the advance_clock endpoint answers with the new sandbox time', async ({ assert }) => {
    const stripe = h.client()
    const before = h.sandbox.now()
    const now = await advance(stripe, 3600)
    assert.isAtLeast(now - before, 3600)
    assert.isBelow(now - before, 3700)
    assert.isAtLeast(h.sandbox.now(), now)
    const raw = (await stripe.rawRequest('POST', '/v1/test_helpers/sandbox/advance_clock', {
      seconds: 0,
    })) as unknown as { object: string }
    assert.equal(raw.object, 'test_clock_advance')
    const direct = await h.sandbox.advanceClock(60)
    assert.isAtLeast(direct - now, 60)
  })
})

test.group('PaymentIntents: updates, automatic capture, lists', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('update amount and metadata before confirmation; only metadata after', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', ...card })
    const bigger = await stripe.paymentIntents.update(pi.id, {
      amount: 2500,
      metadata: { step: '1' },
      description: 'Order 9',
    })
    assert.equal(bigger.amount, 2500)
    assert.equal(bigger.description, 'Order 9')
    const held = await stripe.paymentIntents.confirm(pi.id, {
      payment_method: 'pm_card_visa',
      capture_method: 'manual',
    })
    assert.equal(held.amount_capturable, 2500)
    const meta = await stripe.paymentIntents.update(pi.id, { metadata: { step: '2' } })
    assert.deepEqual(meta.metadata, { step: '2' })
    const error = await stripeError(stripe.paymentIntents.update(pi.id, { amount: 3000 }))
    assert.equal(error.code, 'payment_intent_unexpected_state')
    assert.include(error.message, "This PaymentIntent's amount could not be updated")
  })

  test('automatic capture succeeds at once with a charge balance transaction', async ({
    assert,
  }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      setup_future_usage: 'off_session',
      confirm: true,
      ...card,
    })
    assert.equal(pi.status, 'succeeded')
    assert.equal(pi.amount_received, 2000)
    const pm = await stripe.paymentMethods.retrieve(pi.payment_method as string)
    assert.equal(pm.customer, customer.id)
    const list = await stripe.paymentIntents.list({ customer: customer.id })
    assert.deepEqual(
      list.data.map((p) => p.id),
      [pi.id]
    )
    const charges = await stripe.charges.list({ payment_intent: pi.id })
    assert.lengthOf(charges.data, 1)
    assert.equal(charges.data[0].id, pi.latest_charge)
  })

  test('a one-off PaymentMethod cannot be used twice', async ({ assert }) => {
    const stripe = h.client()
    const pm = await stripe.paymentMethods.retrieve('pm_card_visa')
    await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: pm.id,
      confirm: true,
      ...card,
    })
    const error = await stripeError(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method: pm.id,
        confirm: true,
        ...card,
      })
    )
    assert.equal(error.statusCode, 400)
    assert.include(error.message, 'may not be used again')
  })
})
