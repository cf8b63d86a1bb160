import { test } from '@japa/runner'
import Order from '#models/order'
import Payment from '#models/payment'
import PaymentEvent from '#models/payment_event'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { followRedirect } from '#tests/helpers/http'
import { createUser } from '#tests/helpers/users'
import {
  createActiveContractor,
  createEmployer,
  defaultCardOf,
  stripeIdOf,
  withStripeUnreachable,
} from '#tests/helpers/stripe'
import { AUTHORIZATION_UNKNOWN } from '#domain/order_summary'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'

async function marketplace() {
  const contractor = await createActiveContractor({ fullName: 'Carla Contractor' })
  const employer = await createEmployer({ fullName: 'Erin Employer' })
  const service = await createService(contractor, { price: 12000, currency: 'usd' })
  return { contractor, employer, service }
}

test.group('Placing an order', (group) => {
  group.each.setup(() => truncateAllTables())

  test('holds the price on the card and shows the amounts', async ({ client, assert }) => {
    const { employer, service, contractor } = await marketplace()

    const response = await client
      .post('/orders')
      .loginAs(employer)
      .withCsrfToken()
      .form({ service_id: service.id, note: 'Blue walls please' })
      .redirects(0)

    const placed = await Order.firstOrFail()
    const { order, line, payment } = await stateOf(placed)
    response.assertStatus(302)
    response.assertHeader('location', `/orders/${order.id}`)
    assert.equal(order.total, 12000)
    assert.equal(order.note, 'Blue walls please')
    assert.equal(line.status, 'requested')
    assert.equal(line.amount, 12000)
    assert.equal(line.feeAmount, 1200)
    assert.deepInclude(line.feePlan!, { basisPoints: 1000, fixed: 0 })
    assert.equal(payment.flow, 'hold')
    assert.equal(payment.status, 'authorized')
    assert.equal(payment.amount, 12000)
    assert.equal(payment.applicationFeeAmount, 1200)
    assert.isNotNull(payment.captureBefore)

    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'requires_capture')
    assert.equal(paymentIntent.capture_method, 'manual')
    assert.equal(paymentIntent.amount, 12000)
    assert.equal(paymentIntent.application_fee_amount, 1200)
    assert.equal(paymentIntent.transfer_data?.destination, await stripeIdOf(contractor))
    assert.equal(paymentIntent.metadata.order_id, String(order.id))
    assert.equal(paymentIntent.metadata.payment_id, String(payment.id))
    assert.equal(paymentIntent.payment_method, await defaultCardOf(employer))

    const page = await followRedirect(client, response)
    page.assertTextIncludes('Your card is authorized for $120.00')
    page.assertTextIncludes('$12.00')
    page.assertTextIncludes('$108.00')
    page.assertTextIncludes('Held until')

    const events = await PaymentEvent.query().where('orderId', order.id).orderBy('id')
    assert.deepEqual(
      events.map((event) => event.type),
      ['order.placed', 'payment.authorized']
    )
  })

  test('a declined card fails the order with the decline message and a way to retry', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer({}, 'pm_card_chargeCustomerFail')
    const service = await createService(contractor)

    const response = await client
      .post('/orders')
      .loginAs(employer)
      .withCsrfToken()
      .form({ service_id: service.id })
      .redirects(0)

    const failed = await Order.firstOrFail()
    const { line, payment } = await stateOf(failed)
    assert.equal(payment.status, 'failed')
    assert.equal(payment.failureMessage, 'Your card was declined.')
    assert.equal(line.status, 'canceled')
    const page = await followRedirect(client, response)
    page.assertTextIncludes('Your card was declined.')
    page.assertTextIncludes(`action="/orders/${failed.id}/pay-again"`)
    page.assertTextIncludes('name="payment_method"')
    // Said once: not again as a banner, the status's detail or a timeline note
    assert.lengthOf(page.text().split('Your card was declined.'), 2)

    // The contractor is told the order is off, never the employer's bank's words
    const seen = await client.get(`/orders/${failed.id}`).loginAs(contractor)
    seen.assertStatus(200)
    seen.assertTextIncludes("The employer's payment failed")
    assert.notInclude(seen.text(), 'Your card was declined.')
  })

  test('Stripe not answering leaves the order pending; trying again places exactly one hold', async ({
    client,
    assert,
  }) => {
    const { employer, service } = await marketplace()

    const response = await withStripeUnreachable(() =>
      client
        .post('/orders')
        .loginAs(employer)
        .withCsrfToken()
        .form({ service_id: service.id })
        .redirects(0)
    )
    const order = await Order.firstOrFail()
    response.assertHeader('location', `/orders/${order.id}`)
    const { payment: unanswered } = await stateOf(order)
    assert.equal(unanswered.status, 'pending')
    assert.equal(response.flashMessage('error'), AUTHORIZATION_UNKNOWN)
    const page = await followRedirect(client, response)
    page.assertTextIncludes('we do not know yet whether your payment went')
    page.assertTextIncludes(`action="/orders/${order.id}/retry"`)

    const [first, second] = await Promise.all(
      [0, 1].map(() =>
        client.post(`/orders/${order.id}/retry`).loginAs(employer).withCsrfToken().redirects(0)
      )
    )
    assert.deepEqual([first.status(), second.status()], [302, 302])
    const { payment } = await stateOf(order)
    assert.equal(payment.status, 'authorized')
    const intents = await stripe().paymentIntents.list({ customer: await stripeIdOf(employer) })
    assert.lengthOf(intents.data, 1)
    assert.equal(intents.data[0].id, payment.stripePaymentIntentId)

    const again = await client
      .post(`/orders/${order.id}/retry`)
      .loginAs(employer)
      .withCsrfToken()
      .header('accept', 'application/json')
    again.assertStatus(409)
  })

  test('a retry after a lost answer finds the hold Stripe did make instead of making another', async ({
    client,
    assert,
  }) => {
    const { employer, contractor, service } = await marketplace()
    await withStripeUnreachable(() =>
      client.post('/orders').loginAs(employer).withCsrfToken().form({ service_id: service.id })
    )
    const order = await Order.firstOrFail()
    const { payment: pending } = await stateOf(order)
    assert.equal(pending.status, 'pending')
    // As if the first request had reached Stripe and only its answer was lost
    const made = await stripe().paymentIntents.create({
      amount: order.total,
      currency: order.currency,
      customer: await stripeIdOf(employer),
      payment_method: await defaultCardOf(employer),
      allowed_payment_method_types: ['card'],
      capture_method: 'manual',
      confirm: true,
      off_session: true,
      application_fee_amount: pending.applicationFeeAmount!,
      transfer_data: { destination: await stripeIdOf(contractor) },
      metadata: { order_id: String(order.id), payment_id: String(pending.id) },
    })

    await client.post(`/orders/${order.id}/retry`).loginAs(employer).withCsrfToken()

    const { payment, payments } = await stateOf(order)
    assert.equal(payment.status, 'authorized')
    assert.equal(payment.stripePaymentIntentId, made.id)
    assert.lengthOf(payments, 1)
    const intents = await stripe().paymentIntents.list({ customer: await stripeIdOf(employer) })
    assert.lengthOf(intents.data, 1)
  })

  test('the same order form submitted twice is one order with one hold', async ({
    client,
    assert,
  }) => {
    const { employer, service } = await marketplace()
    const form = { service_id: service.id, form_token: '6f1d3c8e-8d1f-4c49-9a8e-2f7a4b1c0d9e' }

    const responses = await Promise.all(
      [0, 1, 2].map(() =>
        client.post('/orders').loginAs(employer).withCsrfToken().form(form).redirects(0)
      )
    )

    const orders = await Order.all()
    assert.lengthOf(orders, 1)
    for (const response of responses) {
      response.assertHeader('location', `/orders/${orders[0].id}`)
    }
    const { payment: held } = await stateOf(orders[0])
    assert.equal(held.status, 'authorized')
    assert.lengthOf(await Payment.all(), 1)
    const intents = await stripe().paymentIntents.list({ customer: await stripeIdOf(employer) })
    assert.lengthOf(intents.data, 1)

    // A new form (new token) is a new order
    await client
      .post('/orders')
      .loginAs(employer)
      .withCsrfToken()
      .form({ ...form, form_token: '0b6e2a51-3f4c-4d6e-8a7b-9c0d1e2f3a4b' })
    assert.lengthOf(await Order.all(), 2)
  })

  test('refuses what cannot be ordered, and changes nothing', async ({ client, assert }) => {
    const { employer, service } = await marketplace()
    const notOnboarded = await createUser({ role: 'contractor' })
    const hiddenService = await createService(notOnboarded)
    const otherEmployer = await createEmployer()
    const othersCard = await defaultCardOf(otherEmployer)

    const cases = [
      {
        form: { service_id: hiddenService.id },
        error: 'This contractor cannot take orders right now.',
      },
      { form: { service_id: 999999 }, error: 'This service is not available.' },
      {
        form: { service_id: service.id, payment_method: othersCard },
        error: 'Choose one of your saved cards or verified bank accounts.',
      },
    ]
    for (const { form, error } of cases) {
      const response = await client
        .post('/orders')
        .loginAs(employer)
        .withCsrfToken()
        .header('accept', 'application/json')
        .form(form)
      assert.oneOf(response.status(), [404, 409, 422])
      assert.equal(response.body().error, error)
    }

    const invalid = await client
      .post('/orders')
      .loginAs(employer)
      .withCsrfToken()
      .form({ service_id: 'abc', payment_method: '4242424242424242' })
      .redirects(0)
    invalid.assertStatus(302)
    assert.properties(invalid.flashMessage('inputErrorsBag'), ['service_id', 'payment_method'])

    assert.lengthOf(await Order.all(), 0)
  })

  test('an employer without a card is asked to add one', async ({ client, assert }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer({}, null)
    const service = await createService(contractor)

    const response = await client
      .post('/orders')
      .loginAs(employer)
      .withCsrfToken()
      .header('accept', 'application/json')
      .form({ service_id: service.id })

    response.assertStatus(422)
    assert.equal(response.body().error, 'Add a card or a bank account before placing an order.')
    assert.lengthOf(await Order.all(), 0)
  })

  test('contractors cannot place orders', async ({ client, assert }) => {
    const { contractor, service } = await marketplace()
    const response = await client
      .post('/orders')
      .loginAs(contractor)
      .withCsrfToken()
      .form({ service_id: service.id })
    response.assertStatus(403)
    assert.lengthOf(await Order.all(), 0)
  })
})

test.group('Order lifecycle', (group) => {
  group.each.setup(() => truncateAllTables())

  test('accept, deliver, approve captures; the contractor gets amount − fee to the cent', async ({
    client,
    assert,
  }) => {
    const { contractor, employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)

    for (const [user, action] of [
      [contractor, 'accept'],
      [contractor, 'deliver'],
      [employer, 'approve'],
    ] as const) {
      const response = await client
        .post(`/orders/${order.id}/${action}`)
        .loginAs(user)
        .withCsrfToken()
        .redirects(0)
      response.assertStatus(302)
      response.assertHeader('location', `/orders/${order.id}`)
    }

    const { line, payment, transfers } = await stateOf(order)
    assert.equal(line.status, 'approved')
    assert.equal(payment.status, 'succeeded')
    assert.equal(payment.amountCaptured, 12000)
    assert.lengthOf(transfers, 1)
    assert.equal(transfers[0].kind, 'destination')
    assert.match(transfers[0].stripeTransferId!, /^tr_/)

    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'succeeded')
    assert.equal(paymentIntent.amount_received, 12000)

    const accountId = await stripeIdOf(contractor)
    const balance = await stripe().balance.retrieve({}, { stripeAccount: accountId })
    const pending = balance.pending.find((entry) => entry.currency === 'usd')
    assert.equal(pending?.amount, 10800)

    const events = await PaymentEvent.query().where('orderId', order.id).orderBy('id')
    assert.deepEqual(
      events.map((event) => [event.type, event.toStatus]),
      [
        ['order.placed', 'pending'],
        ['payment.authorized', 'authorized'],
        ['line.accepted', 'accepted'],
        ['line.delivered', 'delivered'],
        ['payment.capture_requested', 'authorized'],
        ['payment.succeeded', 'succeeded'],
        ['line.approved', 'approved'],
        ['transfer.paid', 'paid'],
      ]
    )
    const page = await client.get(`/orders/${order.id}`).loginAs(employer)
    page.assertTextIncludes('<span class="badge done">Completed</span>')
    page.assertTextIncludes('Where the money went')
    page.assertTextIncludes('$108.00')
    const list = await client.get('/orders').loginAs(contractor)
    list.assertTextIncludes('<span class="badge done">Completed</span>')
  })

  test('the employer cancels before acceptance: the hold is released', async ({
    client,
    assert,
  }) => {
    const { employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)

    const response = await client
      .post(`/orders/${order.id}/cancel`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)
    response.assertStatus(302)

    const { line, payment } = await stateOf(order)
    assert.equal(line.status, 'canceled')
    assert.equal(payment.status, 'canceled')
    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'canceled')
    assert.equal(paymentIntent.cancellation_reason, 'requested_by_customer')
  })

  test('the contractor declines: the hold is released', async ({ client, assert }) => {
    const { contractor, employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)

    await client
      .post(`/orders/${order.id}/decline`)
      .loginAs(contractor)
      .withCsrfToken()
      .form({ reason: 'Fully booked this month' })

    const { line, payment } = await stateOf(order)
    assert.equal(line.status, 'declined')
    assert.equal(line.declineReason, 'Fully booked this month')
    assert.equal(payment.status, 'canceled')
    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'canceled')
    const page = await client.get(`/orders/${order.id}`).loginAs(employer)
    page.assertTextIncludes('Declined by the contractor')
    page.assertTextIncludes('Fully booked this month')
  })

  test('the wrong party is refused with 403, the wrong state with 409', async ({
    client,
    assert,
  }) => {
    const { contractor, employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)

    const employerAccepts = await client
      .post(`/orders/${order.id}/accept`)
      .loginAs(employer)
      .withCsrfToken()
    employerAccepts.assertStatus(404)

    const contractorCancels = await client
      .post(`/orders/${order.id}/cancel`)
      .loginAs(contractor)
      .withCsrfToken()
      .header('accept', 'application/json')
    contractorCancels.assertStatus(403)

    const approveTooEarly = await client
      .post(`/orders/${order.id}/approve`)
      .loginAs(employer)
      .withCsrfToken()
      .header('accept', 'application/json')
    approveTooEarly.assertStatus(409)
    assert.match(approveTooEarly.body().error, /^Cannot approve .*waiting for the contractor/)

    const deliverTooEarly = await client
      .post(`/orders/${order.id}/deliver`)
      .loginAs(contractor)
      .withCsrfToken()
      .header('referer', `/orders/${order.id}`)
      .redirects(0)
    deliverTooEarly.assertStatus(302)
    assert.match(String(deliverTooEarly.flashMessage('error')), /^Cannot deliver /)

    const { line, payment } = await stateOf(order)
    assert.equal(line.status, 'requested')
    assert.equal(payment.status, 'authorized')
    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'requires_capture')
  })

  test('an order changed on Stripe behind our back follows Stripe and says why', async ({
    client,
    assert,
  }) => {
    const { contractor, employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)
    await client.post(`/orders/${order.id}/accept`).loginAs(contractor).withCsrfToken()
    await client.post(`/orders/${order.id}/deliver`).loginAs(contractor).withCsrfToken()
    const { payment: held } = await stateOf(order)
    await stripe().paymentIntents.capture(held.stripePaymentIntentId!)

    const response = await client
      .post(`/orders/${order.id}/approve`)
      .loginAs(employer)
      .withCsrfToken()
      .header('accept', 'application/json')
      .redirects(0)

    // Captured on Stripe already: the approval follows Stripe, the contractor is paid once
    response.assertStatus(302)
    const { line, payment, transfers } = await stateOf(order)
    assert.equal(line.status, 'approved')
    assert.equal(payment.status, 'succeeded')
    assert.equal(payment.amountCaptured, 12000)
    assert.lengthOf(transfers, 1)
  })

  test("other users' orders are 404", async ({ client }) => {
    const { employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)
    const otherEmployer = await createUser({ role: 'employer' })
    const otherContractor = await createUser({ role: 'contractor' })

    for (const stranger of [otherEmployer, otherContractor]) {
      const page = await client.get(`/orders/${order.id}`).loginAs(stranger)
      page.assertStatus(404)
      const action = await client
        .post(`/orders/${order.id}/cancel`)
        .loginAs(stranger)
        .withCsrfToken()
      action.assertStatus(404)
    }
    const list = await client.get('/orders').loginAs(otherEmployer)
    list.assertStatus(200)
    list.assertTextIncludes('No orders yet.')

    const notANumber = await client.get('/orders/abc').loginAs(employer)
    notANumber.assertStatus(404)
    const unknown = await client.get('/orders/99999').loginAs(employer)
    unknown.assertStatus(404)
    const beyondIntegers = await client.get('/orders/3000000000').loginAs(employer)
    beyondIntegers.assertStatus(404)
    const actOnHuge = await client
      .post('/orders/99999999999/cancel')
      .loginAs(employer)
      .withCsrfToken()
    actOnHuge.assertStatus(404)
  })

  test('lists the orders of each party, newest first', async ({ client }) => {
    const { contractor, employer, service } = await marketplace()
    const first = await placeTestOrder(employer, service)
    const second = await placeTestOrder(employer, service)

    for (const user of [employer, contractor]) {
      const page = await client.get('/orders').loginAs(user)
      page.assertStatus(200)
      const text = page.text()
      const newer = text.indexOf(`#${second.id}<`)
      const older = text.indexOf(`#${first.id}<`)
      if (newer < 0 || older < 0 || newer > older) {
        throw new Error('orders are not listed newest first')
      }
    }
  })

  test('twenty concurrent approvals capture exactly once', async ({ client, assert }) => {
    const { contractor, employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)
    await client.post(`/orders/${order.id}/accept`).loginAs(contractor).withCsrfToken()
    await client.post(`/orders/${order.id}/deliver`).loginAs(contractor).withCsrfToken()

    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        client
          .post(`/orders/${order.id}/approve`)
          .loginAs(employer)
          .withCsrfToken()
          .header('accept', 'application/json')
          .redirects(0)
      )
    )

    // Each is a success (the same approval) or "already approved"; never a 500
    const statuses = responses.map((response) => response.status())
    assert.isTrue(statuses.every((status) => status === 302 || status === 409))
    assert.isAtLeast(statuses.filter((status) => status === 302).length, 1)
    const { line, payment } = await stateOf(order)
    assert.equal(line.status, 'approved')
    assert.equal(payment.status, 'succeeded')
    const captures = await PaymentEvent.query()
      .where('orderId', order.id)
      .where('type', 'payment.succeeded')
    assert.lengthOf(captures, 1)

    const charges = await stripe().charges.list({ payment_intent: payment.stripePaymentIntentId! })
    assert.lengthOf(charges.data, 1)
    assert.equal(charges.data[0].amount_captured, 12000)
    const destination = await stripeIdOf(contractor)
    const transfers = await stripe().transfers.list({ destination })
    assert.lengthOf(transfers.data, 1)
    assert.equal(transfers.data[0].amount, 12000)
    assert.equal(transfers.data[0].transfer_group, `order_${order.id}`)
  })
})
