import { test } from '@japa/runner'
import http from 'node:http'
import Stripe from 'stripe'
import { bearer, type Harness, newKey, rawRequest, startHarness, stripeError } from './helpers.js'

test.group('Wire protocol: auth, routing, errors', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('a bad API key gets 401 with the key masked', async ({ assert }) => {
    const stripe = h.client('sk_live_not_a_test_key_1234')
    const error = await stripeError(stripe.customers.list())
    assert.instanceOf(error, Stripe.errors.StripeAuthenticationError)
    assert.equal(error.statusCode, 401)
    assert.equal(error.type, 'StripeAuthenticationError')
    assert.match(error.message, /^Invalid API Key provided: sk_live_\*+1234$/)
    assert.isUndefined(error.code)
  })

  test('no API key gets 401 "You did not provide an API key"', async ({ assert }) => {
    const res = await rawRequest(h.sandbox.port, { method: 'GET', path: '/v1/customers' })
    assert.equal(res.status, 401)
    assert.equal(res.json.error.type, 'invalid_request_error')
    assert.match(res.json.error.message, /^You did not provide an API key/)
  })

  test('HTTP Basic auth with the key as user name is accepted', async ({ assert }) => {
    const key = newKey()
    const res = await rawRequest(h.sandbox.port, {
      method: 'GET',
      path: '/v1/customers',
      headers: { Authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
    })
    assert.equal(res.status, 200)
    assert.equal(res.json.object, 'list')
  })

  test('the platform account id is stable per key and differs between keys', async ({ assert }) => {
    const key = newKey()
    const a = await h.client(key).accounts.retrieveCurrent()
    const b = await h.client(key).accounts.retrieveCurrent()
    const other = await h.client().accounts.retrieveCurrent()
    assert.equal(a.id, b.id)
    assert.match(a.id, /^acct_/)
    assert.notEqual(a.id, other.id)
    assert.isTrue(a.charges_enabled)
  })

  test('an unknown route is a 404 invalid_request_error', async ({ assert }) => {
    const error = await stripeError(h.client().rawRequest('GET', '/v1/no_such_thing'))
    assert.equal(error.statusCode, 404)
    assert.equal(error.type, 'StripeInvalidRequestError')
    assert.equal(error.raw && (error.raw as { type: string }).type, 'invalid_request_error')
    assert.equal(
      error.message,
      'Unrecognized request URL (GET: /v1/no_such_thing). Please see https://stripe.com/docs or ' +
        'we can help at https://support.stripe.com/.'
    )
    assert.equal(error.code, 'resource_missing')
  })

  test('an unsupported currency is a 400 with code invalid_currency', async ({ assert }) => {
    const error = await stripeError(
      h.client().paymentIntents.create({
        amount: 1000,
        currency: 'xyz',
        allowed_payment_method_types: ['card'],
      })
    )
    assert.equal(error.statusCode, 400)
    assert.equal(error.code, 'invalid_currency')
    assert.equal(error.param, 'currency')
    assert.match(error.message, /^Invalid currency: xyz\./)
  })

  test('an unknown object id is a 404 resource_missing', async ({ assert }) => {
    const error = await stripeError(h.client().customers.retrieve('cus_nope'))
    assert.equal(error.statusCode, 404)
    assert.equal(error.code, 'resource_missing')
    assert.equal(error.param, 'id')
    assert.equal(error.message, "No such customer: 'cus_nope'")
  })

  test('unknown parameters are refused, naming the parameter (also nested)', async ({ assert }) => {
    const stripe = h.client()
    const top = await stripeError(stripe.customers.create({ nickname: 'x' } as never))
    assert.equal(top.statusCode, 400)
    assert.equal(top.code, 'parameter_unknown')
    assert.equal(top.param, 'nickname')
    assert.equal(top.message, 'Received unknown parameter: nickname')
    const nested = await stripeError(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        transfer_data: { destination: 'acct_x', colour: 'red' },
      } as never)
    )
    assert.equal(nested.code, 'parameter_unknown')
    assert.equal(nested.param, 'transfer_data[colour]')
  })

  test('type and presence errors use Stripe codes', async ({ assert }) => {
    const stripe = h.client()
    const missing = await stripeError(stripe.paymentIntents.create({ currency: 'usd' } as never))
    assert.equal(missing.code, 'parameter_missing')
    assert.equal(missing.param, 'amount')
    assert.equal(missing.message, 'Missing required param: amount.')
    const integer = await stripeError(
      stripe.paymentIntents.create({ amount: 'ten' as never, currency: 'usd' })
    )
    assert.equal(integer.code, 'parameter_invalid_integer')
    assert.equal(integer.message, 'Invalid integer: ten')
    const reason = await stripeError(
      stripe.paymentIntents.cancel('pi_x', { cancellation_reason: 'bored' as never })
    )
    assert.equal(reason.statusCode, 400)
    assert.equal(reason.param, 'cancellation_reason')
  })

  test('a Stripe-Account the key cannot reach is refused with account_invalid', async ({
    assert,
  }) => {
    const error = await stripeError(
      h.client().balance.retrieve({}, { stripeAccount: 'acct_someone_else' })
    )
    assert.instanceOf(error, Stripe.errors.StripePermissionError)
    assert.equal(error.statusCode, 403)
    assert.equal(error.code, 'account_invalid')
  })

  test('every response carries a Request-Id (req_…)', async ({ assert }) => {
    const customer = await h.client().customers.create({})
    assert.match(customer.lastResponse.requestId, /^req_\w+$/)
    const error = await stripeError(h.client().customers.retrieve('cus_nope'))
    assert.match(error.requestId ?? '', /^req_\w+$/)
  })

  test('ids carry Stripe prefixes', async ({ assert }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      allowed_payment_method_types: ['card'],
      confirm: true,
    })
    assert.match(customer.id, /^cus_/)
    assert.match(pi.id, /^pi_\w{24}$/)
    assert.match(pi.client_secret ?? '', new RegExp(`^${pi.id}_secret_`))
    assert.match(pi.payment_method as string, /^pm_/)
    assert.match(pi.latest_charge as string, /^ch_/)
  })
})

test.group('Wire protocol: form encoding', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('bracketed keys arrive raw or percent-encoded, arrays as [] or [n]', async ({ assert }) => {
    const key = newKey()
    const body = [
      'email=raw%40example.com',
      'metadata%5Border_id%5D=42',
      'metadata[note]=hello+world',
      'preferred_locales[]=fr',
      'preferred_locales[]=en',
      'address[line1]=1+Main+St',
    ].join('&')
    const created = await rawRequest(h.sandbox.port, {
      method: 'POST',
      path: '/v1/customers',
      headers: bearer(key),
      body,
    })
    assert.equal(created.status, 200)
    assert.equal(created.json.email, 'raw@example.com')
    assert.deepEqual(created.json.metadata, { order_id: '42', note: 'hello world' })
    assert.deepEqual(created.json.preferred_locales, ['fr', 'en'])
    assert.equal(created.json.address.line1, '1 Main St')

    const indexed = await rawRequest(h.sandbox.port, {
      method: 'POST',
      path: `/v1/customers/${created.json.id}`,
      headers: bearer(key),
      body: 'preferred_locales%5B1%5D=de&preferred_locales%5B0%5D=it',
    })
    assert.deepEqual(indexed.json.preferred_locales, ['it', 'de'])
  })

  test('GET parameters come from the query string, including expand[]', async ({ assert }) => {
    const key = newKey()
    const stripe = h.client(key)
    const customer = await stripe.customers.create({ email: 'q@example.com' })
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id })
    const res = await rawRequest(h.sandbox.port, {
      method: 'GET',
      path: `/v1/payment_methods/${pm.id}?expand%5B%5D=customer`,
      headers: bearer(key),
    })
    assert.equal(res.json.customer.id, customer.id)
    const list = await rawRequest(h.sandbox.port, {
      method: 'GET',
      path: '/v1/customers?email=q%40example.com&limit=1',
      headers: bearer(key),
    })
    assert.lengthOf(list.json.data, 1)
    assert.equal(list.json.data[0].id, customer.id)
  })

  test('metadata round-trips; an empty value deletes a key, metadata="" clears it', async ({
    assert,
  }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({ metadata: { a: '1', b: '2', c: '3' } })
    assert.deepEqual(customer.metadata, { a: '1', b: '2', c: '3' })
    const fewer = await stripe.customers.update(customer.id, { metadata: { a: '', d: '4' } })
    assert.deepEqual(fewer.metadata, { b: '2', c: '3', d: '4' })
    const cleared = await stripe.customers.update(customer.id, { metadata: '' as never })
    assert.deepEqual(cleared.metadata, {})
    const unset = await stripe.customers.update(customer.id, { description: 'x' })
    assert.equal(unset.description, 'x')
    const again = await stripe.customers.update(customer.id, { description: '' })
    assert.isNull(again.description)
  })
})

test.group('Wire protocol: idempotency', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('a replayed key returns the stored response with Idempotent-Replayed', async ({
    assert,
  }) => {
    const stripe = h.client()
    const first = await stripe.customers.create(
      { email: 'once@example.com' },
      { idempotencyKey: 'customer:1' }
    )
    const second = await stripe.customers.create(
      { email: 'once@example.com' },
      { idempotencyKey: 'customer:1' }
    )
    assert.equal(second.id, first.id)
    assert.equal(second.lastResponse.headers['idempotent-replayed'], 'true')
    assert.isUndefined(first.lastResponse.headers['idempotent-replayed'])
    const list = await stripe.customers.list({ email: 'once@example.com' })
    assert.lengthOf(list.data, 1)
  })

  test('the same key with other parameters or another endpoint is an idempotency_error', async ({
    assert,
  }) => {
    const stripe = h.client()
    await stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'k-1' })
    const params = await stripeError(
      stripe.customers.create({ email: 'b@example.com' }, { idempotencyKey: 'k-1' })
    )
    assert.instanceOf(params, Stripe.errors.StripeIdempotencyError)
    assert.equal(params.statusCode, 400)
    assert.include(params.message, "Try using a key other than 'k-1'")
    const endpoint = await stripeError(
      stripe.webhookEndpoints.create(
        { url: 'http://127.0.0.1:1/x', enabled_events: ['*'] },
        { idempotencyKey: 'k-1' }
      )
    )
    assert.instanceOf(endpoint, Stripe.errors.StripeIdempotencyError)
  })

  test('a validation 400 is not stored: the key can be retried with fixed params', async ({
    assert,
  }) => {
    const stripe = h.client()
    const bad = await stripeError(
      stripe.paymentIntents.create({ amount: 10, currency: 'usd' }, { idempotencyKey: 'pi-1' })
    )
    assert.equal(bad.code, 'amount_too_small')
    const good = await stripe.paymentIntents.create(
      { amount: 1000, currency: 'usd' },
      { idempotencyKey: 'pi-1' }
    )
    assert.equal(good.amount, 1000)
  })

  test('a card decline (402) is stored and replayed', async ({ assert }) => {
    const stripe = h.client()
    const params: Stripe.PaymentIntentCreateParams = {
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa_chargeDeclined',
      allowed_payment_method_types: ['card'],
      confirm: true,
    }
    const first = await stripeError(stripe.paymentIntents.create(params, { idempotencyKey: 'd-1' }))
    const replay = await stripeError(
      stripe.paymentIntents.create(params, { idempotencyKey: 'd-1' })
    )
    assert.equal(first.statusCode, 402)
    assert.equal(replay.statusCode, 402)
    assert.equal(replay.payment_intent?.id, first.payment_intent?.id)
    assert.equal(replay.headers?.['idempotent-replayed'], 'true')
    const list = await stripe.paymentIntents.list()
    assert.lengthOf(list.data, 1)
  })

  test('a key in flight answers 409 idempotency_key_in_use', async ({ assert }) => {
    const key = newKey()
    const body = 'email=slow%40example.com'
    // First request: headers and half the body, then hold the rest.
    const first = http.request({
      host: '127.0.0.1',
      port: h.sandbox.port,
      method: 'POST',
      path: '/v1/customers',
      headers: {
        ...bearer(key, { 'Idempotency-Key': 'slow-1' }),
        'Content-Length': String(body.length),
      },
    })
    const firstResponse = new Promise<number>((resolve) =>
      first.on('response', (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      })
    )
    first.write(body.slice(0, 5))
    await new Promise((resolve) => setTimeout(resolve, 50))
    const second = await rawRequest(h.sandbox.port, {
      method: 'POST',
      path: '/v1/customers',
      headers: bearer(key, { 'Idempotency-Key': 'slow-1' }),
      body,
    })
    assert.equal(second.status, 409)
    assert.equal(second.json.error.code, 'idempotency_key_in_use')
    first.end(body.slice(5))
    assert.equal(await firstResponse, 200)
    const third = await rawRequest(h.sandbox.port, {
      method: 'POST',
      path: '/v1/customers',
      headers: bearer(key, { 'Idempotency-Key': 'slow-1' }),
      body,
    })
    assert.equal(third.status, 200)
    assert.equal(third.headers['idempotent-replayed'], 'true')
  })

  test('keys are scoped per account: the same key on two platforms runs twice', async ({
    assert,
  }) => {
    const a = await h.client().customers.create({}, { idempotencyKey: 'shared' })
    const b = await h.client().customers.create({}, { idempotencyKey: 'shared' })
    assert.notEqual(a.id, b.id)
  })
})

test.group('Wire protocol: lists and expand', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('lists are newest first with limit, starting_after, ending_before, has_more', async ({
    assert,
  }) => {
    const stripe = h.client()
    const ids: string[] = []
    for (let i = 0; i < 25; i++) {
      const customer = await stripe.customers.create({ name: `c${i}` })
      ids.push(customer.id)
    }
    const newestFirst = [...ids].reverse()
    const page1 = await stripe.customers.list({ limit: 10 })
    assert.equal(page1.url, '/v1/customers')
    assert.isTrue(page1.has_more)
    assert.deepEqual(
      page1.data.map((c) => c.id),
      newestFirst.slice(0, 10)
    )
    const page2 = await stripe.customers.list({ limit: 10, starting_after: page1.data[9].id })
    assert.deepEqual(
      page2.data.map((c) => c.id),
      newestFirst.slice(10, 20)
    )
    const page3 = await stripe.customers.list({ limit: 10, starting_after: page2.data[9].id })
    assert.lengthOf(page3.data, 5)
    assert.isFalse(page3.has_more)
    const back = await stripe.customers.list({ limit: 3, ending_before: page2.data[0].id })
    assert.deepEqual(
      back.data.map((c) => c.id),
      newestFirst.slice(7, 10)
    )
    assert.isTrue(back.has_more)
    const defaults = await stripe.customers.list()
    assert.lengthOf(defaults.data, 10)
    const all: string[] = []
    for await (const customer of stripe.customers.list({ limit: 7 })) {
      all.push(customer.id)
    }
    assert.deepEqual(all, newestFirst)
  })

  test("a cursor from another account's list is unknown there", async ({ assert }) => {
    const mine = h.client()
    const theirs = h.client(newKey())
    await mine.customers.create({ name: 'mine' })
    const foreign = await theirs.customers.create({ name: 'theirs' })

    const error = await stripeError(mine.customers.list({ starting_after: foreign.id }))
    assert.equal(error.statusCode, 400)
    assert.equal(error.code, 'resource_missing')
    assert.equal(error.param, 'starting_after')
    const before = await stripeError(mine.customers.list({ ending_before: foreign.id }))
    assert.equal(before.code, 'resource_missing')
  })

  test('limit must be 1..100 and the cursors are exclusive', async ({ assert }) => {
    const stripe = h.client()
    const big = await stripeError(stripe.customers.list({ limit: 101 }))
    assert.equal(big.param, 'limit')
    const both = await stripeError(
      stripe.customers.list({ starting_after: 'cus_a', ending_before: 'cus_b' })
    )
    assert.equal(both.code, 'parameters_exclusive')
  })

  test('expand works on retrieve, create and lists (data.*), nested with dots', async ({
    assert,
  }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({ email: 'x@example.com' })
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      allowed_payment_method_types: ['card'],
      confirm: true,
      expand: ['latest_charge', 'customer'],
    })
    const charge = pi.latest_charge as Stripe.Charge
    assert.equal(charge.object, 'charge')
    assert.equal((pi.customer as Stripe.Customer).email, 'x@example.com')
    const nested = await stripe.paymentIntents.retrieve(pi.id, {
      expand: ['latest_charge.balance_transaction', 'payment_method'],
    })
    const txn = (nested.latest_charge as Stripe.Charge)
      .balance_transaction as Stripe.BalanceTransaction
    assert.equal(txn.object, 'balance_transaction')
    assert.equal(txn.amount, 2000)
    assert.equal((nested.payment_method as Stripe.PaymentMethod).card?.last4, '4242')
    const list = await stripe.paymentIntents.list({ expand: ['data.latest_charge'] })
    assert.equal((list.data[0].latest_charge as Stripe.Charge).id, charge.id)
    const plain = await stripe.paymentIntents.retrieve(pi.id)
    assert.isString(plain.latest_charge)
  })

  test('expanding something that cannot be expanded is a 400', async ({ assert }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const error = await stripeError(stripe.customers.retrieve(customer.id, { expand: ['email'] }))
    assert.equal(error.statusCode, 400)
    assert.equal(error.message, 'This property cannot be expanded (email).')
    assert.equal(error.code, 'parameter_invalid')
    assert.equal(error.param, 'expand')
    const list = await stripeError(stripe.paymentIntents.list({ expand: ['latest_charge'] }))
    assert.include(list.message, "'data.latest_charge'")
  })
})
