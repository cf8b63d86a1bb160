import { test } from '@japa/runner'
import http from 'node:http'
import { type AddressInfo } from 'node:net'
import Stripe from 'stripe'
import { startSandbox } from '../../stripe_sandbox/index.js'
import {
  activeAccount,
  clientFor,
  type Harness,
  newKey,
  startHarness,
  stripeError,
  WebhookReceiver,
} from './helpers.js'

const card = { allowed_payment_method_types: ['card'] }

function verify(stripe: Stripe, receiver: WebhookReceiver, secret: string): Stripe.Event[] {
  return receiver.received.map((hit) =>
    stripe.webhooks.constructEvent(hit.body, String(hit.headers['stripe-signature']), secret)
  )
}

test.group('Webhooks', (group) => {
  let h: Harness
  let receiver: WebhookReceiver
  let url: string
  group.setup(async () => {
    h = await startHarness({ webhookRetryDelaysMs: [20, 40] })
    return () => h.sandbox.stop()
  })
  group.each.setup(async () => {
    receiver = new WebhookReceiver()
    url = await receiver.start()
    return () => receiver.stop()
  })

  test('webhook endpoints: create returns the whsec_ secret once; list, retrieve, delete', async ({
    assert,
  }) => {
    const stripe = h.client()
    const endpoint = await stripe.webhookEndpoints.create({
      url,
      enabled_events: ['charge.succeeded'],
      description: 'app',
    })
    assert.match(endpoint.id, /^we_/)
    assert.match(endpoint.secret ?? '', /^whsec_/)
    assert.equal(endpoint.status, 'enabled')
    assert.deepEqual(endpoint.enabled_events, ['charge.succeeded'])
    const fetched = await stripe.webhookEndpoints.retrieve(endpoint.id)
    assert.isUndefined(fetched.secret)
    const list = await stripe.webhookEndpoints.list()
    assert.deepEqual(
      list.data.map((e) => e.id),
      [endpoint.id]
    )
    const updated = await stripe.webhookEndpoints.update(endpoint.id, { disabled: true })
    assert.equal(updated.status, 'disabled')
    const deleted = await stripe.webhookEndpoints.del(endpoint.id)
    assert.isTrue(deleted.deleted)
    const bad = await stripeError(
      stripe.webhookEndpoints.create({ url: 'not a url', enabled_events: ['*'] })
    )
    assert.equal(bad.param, 'url')
  })

  test('deliveries are signed as Stripe signs them and filtered by enabled_events', async ({
    assert,
  }) => {
    const stripe = h.client()
    const endpoint = await stripe.webhookEndpoints.create({
      url,
      enabled_events: ['payment_intent.succeeded', 'charge.succeeded'],
    })
    await stripe.customers.create({ email: 'not-delivered@example.com' })
    const pi = await stripe.paymentIntents.create(
      {
        amount: 2000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        ...card,
      },
      { idempotencyKey: 'order:1:pay' }
    )
    await receiver.waitFor((events) => events.length >= 2)
    const events = verify(stripe, receiver, endpoint.secret!)
    assert.sameMembers(
      events.map((e) => e.type),
      ['charge.succeeded', 'payment_intent.succeeded']
    )
    const succeeded = events.find((e) => e.type === 'payment_intent.succeeded')!
    assert.equal((succeeded.data.object as Stripe.PaymentIntent).id, pi.id)
    assert.equal(succeeded.request?.idempotency_key, 'order:1:pay')
    assert.equal(succeeded.request?.id, pi.lastResponse.requestId)
    assert.isUndefined(succeeded.account)
    assert.match(String(receiver.received[0].headers['content-type']), /^application\/json/)
    assert.match(
      String(receiver.received[0].headers['stripe-signature']),
      /^t=\d+,v1=[0-9a-f]{64}$/
    )
    const tampered = receiver.received[0].body.replace('"livemode": false', '"livemode": true')
    assert.throws(() =>
      stripe.webhooks.constructEvent(
        tampered,
        String(receiver.received[0].headers['stripe-signature']),
        endpoint.secret!
      )
    )
    const stored = await stripe.events.retrieve(succeeded.id)
    assert.equal(stored.type, 'payment_intent.succeeded')
  })

  test('connect endpoints get connected-account events (with account); others do not', async ({
    assert,
  }) => {
    const stripe = h.client()
    const platformReceiver = new WebhookReceiver()
    const platformUrl = await platformReceiver.start()
    try {
      const connect = await stripe.webhookEndpoints.create({
        url,
        enabled_events: ['account.updated'],
        connect: true,
      })
      await stripe.webhookEndpoints.create({ url: platformUrl, enabled_events: ['*'] })
      const account = await activeAccount(stripe)
      await receiver.waitFor((events) => events.some((e) => e.type === 'account.updated'))
      const events = verify(stripe, receiver, connect.secret!)
      assert.isTrue(events.every((e) => e.type === 'account.updated'))
      assert.equal(events[0].account, account.id)
      const previous = events[events.length - 1].data.previous_attributes as Partial<Stripe.Account>
      assert.property(previous, 'charges_enabled')
      await stripe.customers.create({})
      await platformReceiver.waitFor((list) => list.some((e) => e.type === 'customer.created'))
      assert.isFalse(platformReceiver.events().some((e) => e.account !== undefined))
    } finally {
      await platformReceiver.stop()
    }
  })

  test('failed deliveries are retried with backoff until acknowledged', async ({ assert }) => {
    const stripe = h.client()
    const endpoint = await stripe.webhookEndpoints.create({
      url,
      enabled_events: ['customer.created'],
    })
    let calls = 0
    receiver.respondWith = () => (++calls < 3 ? 500 : 200)
    const customer = await stripe.customers.create({})
    await receiver.waitFor((events) => events.length >= 3)
    const events = verify(stripe, receiver, endpoint.secret!)
    assert.lengthOf(events, 3)
    assert.isTrue(events.every((e) => e.id === events[0].id))
    assert.equal((events[0].data.object as Stripe.Customer).id, customer.id)
    const stored = await stripe.events.retrieve(events[0].id)
    assert.equal(stored.pending_webhooks, 0)
  })

  test('delivery never blocks the API response', async ({ assert }) => {
    const stripe = h.client()
    // A receiver that takes the delivery but does not answer until released.
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    let arrived = false
    let answered = false
    const server = http.createServer((req, res) => {
      arrived = true
      req.resume()
      void gate.then(() => {
        answered = true
        res.end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    const port = (server.address() as AddressInfo).port
    try {
      await stripe.webhookEndpoints.create({
        url: `http://127.0.0.1:${port}/hook`,
        enabled_events: ['customer.created'],
      })
      const customer = await stripe.customers.create({ name: 'fast' })
      assert.equal(customer.name, 'fast')
      while (!arrived) {
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      assert.isFalse(answered)
    } finally {
      release()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  test('events: retrieve, list by type and with a wildcard', async ({ assert }) => {
    const stripe = h.client()
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      capture_method: 'manual',
      confirm: true,
      ...card,
    })
    await stripe.paymentIntents.capture(pi.id)
    const captured = await stripe.events.list({ type: 'charge.captured' })
    assert.lengthOf(captured.data, 1)
    assert.match(captured.data[0].id, /^evt_/)
    assert.equal(captured.data[0].api_version, '2026-10-28.endive')
    const charges = await stripe.events.list({ type: 'charge.*' })
    assert.sameMembers(
      charges.data.map((e) => e.type),
      ['charge.succeeded', 'charge.captured']
    )
    const intents = await stripe.events.list({ type: 'payment_intent.*', limit: 2 })
    assert.deepEqual(
      intents.data.map((e) => e.type),
      ['payment_intent.succeeded', 'payment_intent.amount_capturable_updated']
    )
    assert.isTrue(intents.has_more)
  })
})

test.group('Webhooks: endpoints configured at start-up', () => {
  test('they receive every platform’s events, signed with the configured secret', async ({
    assert,
  }) => {
    const receiver = new WebhookReceiver()
    const url = await receiver.start()
    const secret = 'whsec_configured_for_tests'
    const sandbox = await startSandbox({
      port: 0,
      log: false,
      webhookEndpoints: [
        { url, secret, enabledEvents: ['customer.created'] },
        { url, secret, connect: true },
      ],
    })
    try {
      const a = clientFor(sandbox.port, newKey())
      const b = clientFor(sandbox.port, newKey())
      await a.customers.create({ name: 'a' })
      await b.customers.create({ name: 'b' })
      const account = await activeAccount(a)
      await receiver.waitFor(
        (events) =>
          events.filter((e) => e.type === 'customer.created').length === 2 &&
          events.some((e) => e.account === account.id)
      )
      const events = receiver.received.map((hit) =>
        a.webhooks.constructEvent(hit.body, String(hit.headers['stripe-signature']), secret)
      )
      assert.sameMembers(
        events
          .filter((e) => e.type === 'customer.created')
          .map((e) => (e.data.object as Stripe.Customer).name),
        ['a', 'b']
      )
      assert.isFalse(events.some((e) => !e.account && e.type !== 'customer.created'))
    } finally {
      await sandbox.stop()
      await receiver.stop()
    }
  })

  test('deliveries to one endpoint run concurrently, up to webhookConcurrency at a time', async ({
    assert,
  }) => {
    // An endpoint that takes deliveries but answers none until released.
    let open = 0
    let most = 0
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const bodies: string[] = []
    const server = http.createServer((req, res) => {
      open += 1
      most = Math.max(most, open)
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'))
        void gate.then(() => {
          open -= 1
          res.end()
        })
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
    const sandbox = await startSandbox({
      port: 0,
      log: false,
      webhookConcurrency: 4,
      webhookEndpoints: [{ url, secret: 'whsec_x', enabledEvents: ['customer.created'] }],
    })
    try {
      const stripe = clientFor(sandbox.port, newKey())
      const created = []
      for (let i = 0; i < 10; i++) {
        created.push(await stripe.customers.create({ name: `c${i}` }))
      }
      while (bodies.length < 4) {
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      // Four are in flight together, none answered yet; the others wait their turn.
      await new Promise((resolve) => setTimeout(resolve, 100))
      assert.equal(open, 4)
      assert.lengthOf(bodies, 4)
      assert.equal(sandbox.stats().webhookBacklog, 10)
      release()
      while (bodies.length < 10 || open > 0) {
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      assert.equal(most, 4)
      const names = bodies.map((body) => JSON.parse(body).data.object.name as string)
      assert.sameMembers(
        names,
        created.map((c) => c.name!)
      )
      // Acknowledgements are counted as they come back.
      let events = await stripe.events.list({ type: 'customer.created', limit: 100 })
      for (let i = 0; i < 100 && events.data.some((e) => e.pending_webhooks > 0); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        events = await stripe.events.list({ type: 'customer.created', limit: 100 })
      }
      assert.isTrue(events.data.every((e) => e.pending_webhooks === 0))
    } finally {
      release()
      await sandbox.stop()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  test('stop() cancels pending retries so the process can exit', async ({ assert }) => {
    const receiver = new WebhookReceiver()
    const url = await receiver.start()
    receiver.respondWith = () => 500
    const sandbox = await startSandbox({
      port: 0,
      log: false,
      webhookEndpoints: [{ url, secret: 'whsec_x' }],
      webhookRetryDelaysMs: [60_000],
    })
    const stripe = clientFor(sandbox.port, newKey())
    await stripe.customers.create({})
    await receiver.waitFor((events) => events.length === 1)
    await sandbox.stop()
    await receiver.stop()
    assert.lengthOf(receiver.received, 1)
    const error = await stripeError(stripe.customers.list())
    assert.instanceOf(error, Stripe.errors.StripeConnectionError)
  })
})
