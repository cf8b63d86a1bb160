import { test } from '@japa/runner'
import { runJobs } from '#tests/helpers/jobs'
import app from '@adonisjs/core/services/app'
import type Stripe from 'stripe'
import type { ApiClient } from '@japa/api-client'
import type Order from '#models/order'
import type User from '#models/user'
import PaymentEvent from '#models/payment_event'
import Refund from '#models/refund'
import StripeEvent from '#models/stripe_event'
import type { StripeConfig } from '#config/stripe'
import { TEST_WEBHOOK_SECRET } from '#infra/stripe_sandbox_host'
import { stripe } from '#stripe/client'
import { actors } from '#domain/actor'
import { truncateAllTables } from '#tests/helpers/database'
import {
  advanceSandboxClock,
  createActiveContractor,
  createEmployer,
  signedWebhook,
} from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { acceptLine } from '#actions/orders/accept_line'
import { deliverLine } from '#actions/orders/deliver_line'
import { approveLines } from '#actions/orders/approve_line'
import { replayRefund, stripeRefundsOf } from '#tests/functional/console_helpers'

async function heldOrder() {
  const contractor = await createActiveContractor()
  const employer = await createEmployer()
  const service = await createService(contractor, { price: 5000 })
  const order = await placeTestOrder(employer, service)
  const { payment } = await stateOf(order)
  return { contractor, employer, order, payment }
}

/** The contractor does the work and the employer approves it: the hold is captured */
async function completeWork(order: Order, contractor: User, employer: User) {
  await acceptLine(order.id, null, contractor)
  await deliverLine(order.id, null, contractor)
  await approveLines(order.id, null, actors.party('employer', employer.id))
  return stateOf(order)
}

/** The newest event of a type about one Stripe object, as the sandbox recorded it */
async function sandboxEvent(type: string, objectId: string) {
  const events = await stripe().events.list({ type, limit: 100 })
  const event = events.data.find(
    (candidate) => (candidate.data.object as { id: string }).id === objectId
  )
  if (!event) {
    throw new Error(`No ${type} event for ${objectId}`)
  }
  return event
}

/** Delivers the event as Stripe does, then lets the queued job apply it */
async function deliver(
  client: ApiClient,
  event: Stripe.Event | Parameters<typeof signedWebhook>[0]
) {
  const { payload, signature } = signedWebhook(
    event as unknown as Parameters<typeof signedWebhook>[0]
  )
  const response = await client
    .post('/stripe/webhook')
    .header('stripe-signature', signature)
    .header('content-type', 'application/json')
    .json(JSON.parse(payload))
  await runJobs(['apply_stripe_event'])
  return response
}

/** A body signed exactly as given (signedWebhook fills in an id and the envelope) */
function deliverRaw(client: ApiClient, body: unknown) {
  const payload = JSON.stringify(body)
  const signature = stripe().webhooks.generateTestHeaderString({
    payload,
    secret: TEST_WEBHOOK_SECRET,
  })
  return client
    .post('/stripe/webhook')
    .header('stripe-signature', signature)
    .header('content-type', 'application/json')
    .header('accept', 'application/json')
    .json(body as object)
}

test.group('Stripe webhooks', (group) => {
  group.each.setup(() => truncateAllTables())

  test('refuses a bad or missing signature and stores nothing', async ({ client, assert }) => {
    const body = {
      id: 'evt_forged',
      object: 'event',
      type: 'payment_intent.succeeded',
      data: { object: {} },
    }

    const forged = await client
      .post('/stripe/webhook')
      .header('stripe-signature', `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`)
      .json(body)
    forged.assertStatus(400)
    assert.equal(forged.body().error, 'Invalid Stripe signature')

    const unsigned = await client.post('/stripe/webhook').json(body)
    unsigned.assertStatus(400)

    assert.lengthOf(await StripeEvent.all(), 0)
  })

  test('refuses a signed event it could never apply with 400, and stores nothing', async ({
    client,
    assert,
  }) => {
    const { payment } = await heldOrder()
    const envelope = {
      object: 'event',
      api_version: '2026-10-28.endive',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      type: 'payment_intent.succeeded',
    }
    const paymentIntent = { id: payment.stripePaymentIntentId, object: 'payment_intent' }
    const malformed = [
      // No id: nothing to store it under
      { ...envelope, data: { object: paymentIntent } },
      { ...envelope, id: 42, data: { object: paymentIntent } },
      { ...envelope, id: `evt_${'x'.repeat(100)}`, data: { object: paymentIntent } },
      // No object: nothing to apply, ever
      { ...envelope, id: 'evt_test_null_object', data: { object: null } },
      { ...envelope, id: 'evt_test_no_data' },
      { ...envelope, id: 'evt_test_no_type', type: undefined, data: { object: paymentIntent } },
      {
        ...envelope,
        id: 'evt_test_object_without_id',
        data: { object: { object: 'payment_intent' } },
      },
      [],
    ]

    for (const body of malformed) {
      const response = await deliverRaw(client, body)
      response.assertStatus(400)
      assert.match(response.body().error, /^Malformed event/)
    }

    assert.lengthOf(await StripeEvent.all(), 0)
    const after = await stateOf(payment.orderId!)
    assert.equal(after.payment.status, 'authorized')
  })

  test('applies an event and answers a replay with 200 doing nothing', async ({
    client,
    assert,
  }) => {
    const { order, payment } = await heldOrder()
    // The hold is released behind the app's back (e.g. from Stripe's Dashboard)
    await stripe().paymentIntents.cancel(payment.stripePaymentIntentId!, {
      cancellation_reason: 'fraudulent',
    })
    const event = await sandboxEvent('payment_intent.canceled', payment.stripePaymentIntentId!)

    const first = await deliver(client, event)
    first.assertStatus(200)
    assert.deepEqual(first.body(), { received: true, duplicate: false })
    const after = await stateOf(order)
    assert.equal(after.payment.status, 'canceled')
    assert.equal(after.payment.cancellationReason, 'fraudulent')
    assert.equal(after.line.status, 'canceled')

    const replay = await deliver(client, event)
    replay.assertStatus(200)
    assert.deepEqual(replay.body(), { received: true, duplicate: true })

    const stored = await StripeEvent.query().where('stripeEventId', event.id)
    assert.lengthOf(stored, 1)
    assert.isNotNull(stored[0].processedAt)
    const cancellations = await PaymentEvent.query()
      .where('paymentId', payment.id)
      .where('type', 'payment.canceled')
    assert.lengthOf(cancellations, 1)
    assert.equal(cancellations[0].actor, `webhook:${event.id}`)
  })

  test('an event arriving late never moves a payment backwards', async ({ client, assert }) => {
    const { contractor, employer, order, payment } = await heldOrder()
    await completeWork(order, contractor, employer)
    const authorized = await sandboxEvent(
      'payment_intent.amount_capturable_updated',
      payment.stripePaymentIntentId!
    )
    const before = await PaymentEvent.query().where('orderId', order.id)

    const response = await deliver(client, authorized)
    response.assertStatus(200)

    const after = await stateOf(order)
    assert.equal(after.payment.status, 'succeeded')
    assert.equal(after.payment.amountCaptured, 5000)
    assert.equal(after.line.status, 'approved')
    assert.lengthOf(await PaymentEvent.query().where('orderId', order.id), before.length)
  })

  test('a capture made on Stripe reaches the payment, its line and its transfer through payment_intent.succeeded', async ({
    client,
    assert,
  }) => {
    const { order, payment } = await heldOrder()
    await stripe().paymentIntents.capture(payment.stripePaymentIntentId!)
    const event = await sandboxEvent('payment_intent.succeeded', payment.stripePaymentIntentId!)
    // The event's charge is not expanded: the transfer id must be read from Stripe
    assert.equal(typeof (event.data.object as Stripe.PaymentIntent).latest_charge, 'string')

    const response = await deliver(client, event)
    response.assertStatus(200)

    const after = await stateOf(order)
    assert.equal(after.payment.status, 'succeeded')
    assert.equal(after.payment.amountCaptured, 5000)
    assert.equal(after.line.status, 'approved')
    const charge = await stripe().charges.retrieve(after.payment.stripeChargeId!)
    assert.lengthOf(after.transfers, 1)
    assert.equal(after.transfers[0].kind, 'destination')
    assert.equal(after.transfers[0].status, 'paid')
    assert.match(after.transfers[0].stripeTransferId!, /^tr_/)
    assert.equal(after.transfers[0].stripeTransferId, charge.transfer)
    assert.equal(after.transfers[0].amount, 5000)
  })

  test('charge.refunded updates the refunded total and status', async ({ client, assert }) => {
    const { order, contractor, employer, payment } = await heldOrder()
    const { payment: captured } = await completeWork(order, contractor, employer)
    const chargeId = captured.stripeChargeId!
    await stripe().refunds.create({ payment_intent: payment.stripePaymentIntentId!, amount: 2000 })
    const partial = await sandboxEvent('charge.refunded', chargeId)

    await deliver(client, partial)
    let after = await stateOf(order)
    assert.equal(after.payment.status, 'partially_refunded')
    assert.equal(after.payment.amountRefunded, 2000)

    await stripe().refunds.create({ payment_intent: payment.stripePaymentIntentId! })
    const events = await stripe().events.list({ type: 'charge.refunded', limit: 100 })
    const full = events.data.find(
      (event) =>
        (event.data.object as Stripe.Charge).id === chargeId &&
        (event.data.object as Stripe.Charge).amount_refunded === 5000
    )!
    await deliver(client, full)
    // The older, partial event delivered again late changes nothing
    await deliver(client, { ...partial, id: `${partial.id}_late` })

    after = await stateOf(order)
    assert.equal(after.payment.status, 'refunded')
    assert.equal(after.payment.amountRefunded, 5000)
  })

  test('charge.refunded settles our own refund whose answer was lost', async ({
    client,
    assert,
  }) => {
    const { order, contractor, employer } = await heldOrder()
    const { payment } = await completeWork(order, contractor, employer)
    // Written and sent from the console; Stripe made it, the answer never came back
    const refund = await Refund.create({
      orderId: order.id,
      paymentId: payment.id,
      cause: 'admin',
      amount: 1500,
      currency: 'usd',
      reason: 'requested_by_customer',
      reverseTransfer: true,
      refundApplicationFee: true,
      status: 'pending',
      initiatedBy: 'console:admin',
    })
    const made = await replayRefund(payment, refund)
    const event = await sandboxEvent('charge.refunded', payment.stripeChargeId!)

    const response = await deliver(client, event)
    response.assertStatus(200)

    await refund.refresh()
    assert.equal(refund.status, 'succeeded')
    assert.equal(refund.stripeRefundId, made.id)
    const after = await stateOf(order)
    assert.equal(after.payment.status, 'partially_refunded')
    assert.equal(after.payment.amountRefunded, 1500)
    const settled = await PaymentEvent.query()
      .where('refundId', refund.id)
      .where('type', 'refund.succeeded')
    assert.lengthOf(settled, 1)
    assert.equal(settled[0].actor, `webhook:${event.id}`)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)
  })

  test('charge.expired marks a hold Stripe released after 7 days', async ({ client, assert }) => {
    const { order, payment } = await heldOrder()
    await advanceSandboxClock(7 * 24 * 3600 + 60)
    const event = await sandboxEvent('charge.expired', payment.stripeChargeId!)

    await deliver(client, event)

    const after = await stateOf(order)
    assert.equal(after.payment.status, 'canceled')
    assert.equal(after.payment.cancellationReason, 'automatic')
    assert.equal(after.line.status, 'canceled')
    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'canceled')
  })

  test('charge.dispute.created records the dispute and flags the payment', async ({
    client,
    assert,
  }) => {
    const { order, contractor, employer } = await heldOrder()
    const { payment } = await completeWork(order, contractor, employer)
    const opened = (await stripe().rawRequest('POST', '/v1/test_helpers/sandbox/disputes', {
      charge: payment.stripeChargeId,
      test_payment_method: 'pm_card_createDisputeProductNotReceived',
    })) as unknown as { id: string }

    const response = await deliver(client, await sandboxEvent('charge.dispute.created', opened.id))
    response.assertStatus(200)

    const after = await stateOf(order)
    assert.isTrue(after.payment.disputed)
    assert.equal(after.payment.status, 'succeeded')
    const flagged = await PaymentEvent.query()
      .where('paymentId', payment.id)
      .where('type', 'dispute.opened')
      .firstOrFail()
    assert.equal(flagged.amount, 5000)
    assert.equal(flagged.stripeId, opened.id)
    assert.include(flagged.message!, 'the work was not received')
    const page = await client.get(`/orders/${order.id}`).loginAs(employer)
    page.assertTextIncludes('Your bank disputed $50.00 of this payment')
  })

  test('the sandbox delivers signed events to the app by itself', async ({ assert }) => {
    const { order, payment } = await heldOrder()
    const config = app.config.get<StripeConfig>('stripe')
    const endpoint = await stripe().webhookEndpoints.create({
      url: `http://${process.env.HOST}:${process.env.PORT}/stripe/webhook`,
      enabled_events: ['payment_intent.canceled'],
    })
    const secrets = config.webhookSecrets
    app.config.set('stripe.webhookSecrets', [...secrets, endpoint.secret!])
    try {
      await stripe().paymentIntents.cancel(payment.stripePaymentIntentId!)
      // Delivery is asynchronous: wait for it, without asserting how long it takes
      let status = payment.status
      for (let attempt = 0; attempt < 100 && status === 'authorized'; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        await runJobs(['apply_stripe_event'])
        const now = await stateOf(order)
        status = now.payment.status
      }
      assert.equal(status, 'canceled')
      const stored = await StripeEvent.findByOrFail('type', 'payment_intent.canceled')
      assert.isNotNull(stored.processedAt)
    } finally {
      app.config.set('stripe.webhookSecrets', secrets)
      await stripe().webhookEndpoints.del(endpoint.id)
    }
  })
})
