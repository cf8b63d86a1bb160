import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import type Stripe from 'stripe'
import type { ApiClient } from '@japa/api-client'
import PaymentEvent from '#models/payment_event'
import StripeEvent from '#models/stripe_event'
import type { StripeConfig } from '#config/stripe'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import {
  advanceSandboxClock,
  createActiveContractor,
  createEmployer,
  signedWebhook,
} from '#tests/helpers/stripe'
import { createService, placeTestOrder } from '#tests/helpers/orders'
import { acceptOrder } from '#actions/orders/accept_order'
import { deliverOrder } from '#actions/orders/deliver_order'
import { captureOrder } from '#actions/orders/capture_order'
import { runJobs } from '#tests/helpers/jobs'

async function heldOrder() {
  const contractor = await createActiveContractor()
  const employer = await createEmployer()
  const service = await createService(contractor, { price: 5000 })
  const order = await placeTestOrder(employer, service)
  return { contractor, employer, order }
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

  test('applies an event and answers a replay with 200 doing nothing', async ({
    client,
    assert,
  }) => {
    const { order } = await heldOrder()
    // The hold is released behind the app's back (e.g. from Stripe's Dashboard)
    await stripe().paymentIntents.cancel(order.stripePaymentIntentId!, {
      cancellation_reason: 'fraudulent',
    })
    const event = await sandboxEvent('payment_intent.canceled', order.stripePaymentIntentId!)

    const first = await deliver(client, event)
    first.assertStatus(200)
    assert.deepEqual(first.body(), { received: true, duplicate: false })
    await order.refresh()
    assert.equal(order.status, 'canceled')
    assert.equal(order.cancellationReason, 'fraudulent')

    const replay = await deliver(client, event)
    replay.assertStatus(200)
    assert.deepEqual(replay.body(), { received: true, duplicate: true })

    const stored = await StripeEvent.query().where('stripeEventId', event.id)
    assert.lengthOf(stored, 1)
    assert.isNotNull(stored[0].processedAt)
    const cancellations = await PaymentEvent.query()
      .where('orderId', order.id)
      .where('type', 'order.canceled')
    assert.lengthOf(cancellations, 1)
    assert.equal(cancellations[0].actor, `webhook:${event.id}`)
  })

  test('an event arriving late never moves an order backwards', async ({ client, assert }) => {
    const { contractor, employer, order } = await heldOrder()
    await acceptOrder(order.id, contractor)
    await deliverOrder(order.id, contractor)
    await captureOrder(order.id, { actor: `user:${employer.id}` })
    const authorized = await sandboxEvent(
      'payment_intent.amount_capturable_updated',
      order.stripePaymentIntentId!
    )
    const before = await PaymentEvent.query().where('orderId', order.id)

    const response = await deliver(client, authorized)
    response.assertStatus(200)

    await order.refresh()
    assert.equal(order.status, 'captured')
    assert.lengthOf(await PaymentEvent.query().where('orderId', order.id), before.length)
  })

  test('a capture made on Stripe reaches the order through payment_intent.succeeded', async ({
    client,
    assert,
  }) => {
    const { order } = await heldOrder()
    await stripe().paymentIntents.capture(order.stripePaymentIntentId!)
    const event = await sandboxEvent('payment_intent.succeeded', order.stripePaymentIntentId!)

    await deliver(client, event)

    await order.refresh()
    assert.equal(order.status, 'captured')
    assert.equal(order.amountCaptured, 5000)
  })

  test('charge.refunded updates the refunded total and status', async ({ client, assert }) => {
    const { order, contractor, employer } = await heldOrder()
    await acceptOrder(order.id, contractor)
    await deliverOrder(order.id, contractor)
    await captureOrder(order.id, { actor: `user:${employer.id}` })
    await stripe().refunds.create({ payment_intent: order.stripePaymentIntentId!, amount: 2000 })
    await order.refresh()
    const partial = await sandboxEvent('charge.refunded', order.stripeChargeId!)

    await deliver(client, partial)
    await order.refresh()
    assert.equal(order.status, 'partially_refunded')
    assert.equal(order.amountRefunded, 2000)

    await stripe().refunds.create({ payment_intent: order.stripePaymentIntentId! })
    const events = await stripe().events.list({ type: 'charge.refunded', limit: 100 })
    const full = events.data.find(
      (event) =>
        (event.data.object as Stripe.Charge).id === order.stripeChargeId &&
        (event.data.object as Stripe.Charge).amount_refunded === 5000
    )!
    await deliver(client, full)
    // The older, partial event delivered again late changes nothing
    await deliver(client, { ...partial, id: `${partial.id}_late` })

    await order.refresh()
    assert.equal(order.status, 'refunded')
    assert.equal(order.amountRefunded, 5000)
  })

  test('charge.expired marks a hold Stripe released after 7 days', async ({ client, assert }) => {
    const { order } = await heldOrder()
    await advanceSandboxClock(7 * 24 * 3600 + 60)
    const event = await sandboxEvent('charge.expired', order.stripeChargeId!)

    await deliver(client, event)

    await order.refresh()
    assert.equal(order.status, 'expired')
    const paymentIntent = await stripe().paymentIntents.retrieve(order.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'canceled')
  })

  test('charge.dispute.created flags the order', async ({ client, assert }) => {
    const { order, contractor, employer } = await heldOrder()
    await acceptOrder(order.id, contractor)
    await deliverOrder(order.id, contractor)
    await captureOrder(order.id, { actor: `user:${employer.id}` })
    await order.refresh()

    await deliver(client, {
      type: 'charge.dispute.created',
      data: {
        object: {
          id: 'dp_test_1',
          object: 'dispute',
          amount: 5000,
          currency: 'usd',
          charge: order.stripeChargeId,
          payment_intent: order.stripePaymentIntentId,
          reason: 'product_not_received',
          status: 'needs_response',
        },
      },
    })

    await order.refresh()
    assert.isNotNull(order.disputedAt)
    assert.equal(order.disputeReason, 'product_not_received')
    assert.equal(order.status, 'captured')
    const page = await client.get(`/orders/${order.id}`).loginAs(employer)
    page.assertTextIncludes('disputed')
  })

  test('the sandbox delivers signed events to the app by itself', async ({ assert }) => {
    const { order } = await heldOrder()
    const config = app.config.get<StripeConfig>('stripe')
    const endpoint = await stripe().webhookEndpoints.create({
      url: `http://${process.env.HOST}:${process.env.PORT}/stripe/webhook`,
      enabled_events: ['payment_intent.canceled'],
    })
    const secrets = config.webhookSecrets
    app.config.set('stripe.webhookSecrets', [...secrets, endpoint.secret!])
    try {
      await stripe().paymentIntents.cancel(order.stripePaymentIntentId!)
      // Delivery is asynchronous: wait for it, without asserting how long it takes
      for (let attempt = 0; attempt < 100; attempt++) {
        await runJobs(['apply_stripe_event'])
        await order.refresh()
        if (order.status !== 'authorized') {
          break
        }
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      assert.equal(order.status, 'canceled')
      const stored = await StripeEvent.findByOrFail('type', 'payment_intent.canceled')
      assert.isNotNull(stored.processedAt)
    } finally {
      app.config.set('stripe.webhookSecrets', secrets)
      await stripe().webhookEndpoints.del(endpoint.id)
    }
  })
})
