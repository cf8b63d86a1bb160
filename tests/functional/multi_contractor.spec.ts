import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { businessNow } from '#services/clock'
import ace from '@adonisjs/core/services/ace'
import app from '@adonisjs/core/services/app'
import type User from '#models/user'
import Order from '#models/order'
import Payment from '#models/payment'
import Transfer from '#models/transfer'
import Refund from '#models/refund'
import type Service from '#models/service'
import PaymentEvent from '#models/payment_event'
import OrdersTransfer from '#commands/orders_transfer'
import { stripe } from '#stripe/client'
import { allocate } from '#money/shares'
import { actors } from '#domain/actor'
import { truncateAllTables } from '#tests/helpers/database'
import {
  advanceSandboxClock,
  createActiveContractor,
  createEmployer,
  stripeIdOf,
} from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { acceptLine } from '#actions/orders/accept_line'
import { deliverLine } from '#actions/orders/deliver_line'
import { approveLines } from '#actions/orders/approve_line'
import { settleLines } from '#actions/orders/settle_lines'
import { errorsOf, runCommand } from '#tests/functional/console_helpers'

const DAY = 86_400

async function balanceOf(contractor: User) {
  const balance = await stripe().balance.retrieve(
    {},
    { stripeAccount: await stripeIdOf(contractor) }
  )
  const usd = (entries: { amount: number; currency: string }[]) =>
    entries
      .filter((entry) => entry.currency === 'usd')
      .reduce((sum, entry) => sum + entry.amount, 0)
  return usd(balance.available) + usd(balance.pending)
}

/** Three contractors, one service each ($120.00, $85.00, $160.00), and an employer */
async function marketplace() {
  const ada = await createActiveContractor({ fullName: 'Ada Painter', email: 'ada@example.com' })
  const grace = await createActiveContractor({
    fullName: 'Grace Plumber',
    email: 'grace@example.com',
  })
  const linus = await createActiveContractor({ fullName: 'Linus Webb', email: 'linus@example.com' })
  const employer = await createEmployer({ fullName: 'Erin Employer' })
  const services = [
    await createService(ada, { title: 'Repaint a room', price: 12000 }),
    await createService(grace, { title: 'Fix a leaking tap', price: 8500 }),
    await createService(linus, { title: 'One-page website', price: 16000 }),
  ]
  return { ada, grace, linus, employer, services, contractors: [ada, grace, linus] }
}

async function lineFor(order: Order, service: Service) {
  const { lines } = await stateOf(order)
  return lines.find((line) => line.serviceId === service.id)!
}

async function deliver(order: Order, service: Service, contractor: User) {
  const line = await lineFor(order, service)
  await acceptLine(order.id, line.id, contractor)
  await deliverLine(order.id, line.id, contractor)
  return line
}

test.group('Orders with several contractors', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => {
      ace.ui.switchMode('normal')
      app.config.set('marketplace.stripeFeePassthrough', false)
    }
  })

  test('a cart of three contractors is one payment; each is paid on their own approval, to the cent', async ({
    client,
    assert,
  }) => {
    const { employer, services, contractors } = await marketplace()
    for (const service of services) {
      const added = await client
        .post('/cart/items')
        .loginAs(employer)
        .withCsrfToken()
        .form({ service_id: service.id })
        .redirects(0)
      added.assertHeader('location', '/cart')
    }
    const cart = await client.get('/cart').loginAs(employer)
    cart.assertTextIncludes('Ada Painter')
    cart.assertTextIncludes('Grace Plumber')
    cart.assertTextIncludes('$365.00')

    const checkout = await client
      .post('/cart/checkout')
      .loginAs(employer)
      .withCsrfToken()
      .form({ note: 'Renovation' })
      .redirects(0)
    const order = await Order.firstOrFail()
    checkout.assertHeader('location', `/orders/${order.id}`)
    const { lines, payment } = await stateOf(order)
    assert.equal(order.total, 36500)
    assert.lengthOf(lines, 3)
    assert.deepEqual(
      lines.map((line) => [line.amount, line.feeAmount, line.status]),
      [
        [12000, 1200, 'requested'],
        [8500, 850, 'requested'],
        [16000, 1600, 'requested'],
      ]
    )
    assert.equal(payment.flow, 'charge')
    assert.equal(payment.status, 'succeeded')
    assert.equal(payment.amountCaptured, 36500)
    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(paymentIntent.capture_method, 'automatic')
    assert.equal(paymentIntent.transfer_group, `order_${order.id}`)
    assert.isNull(paymentIntent.transfer_data ?? null)
    const emptied = await client.get('/cart').loginAs(employer)
    assert.lengthOf(emptied.text().match(/Remove/g) ?? [], 0)

    // Nobody is paid before their own approval
    assert.deepEqual(await Promise.all(contractors.map(balanceOf)), [0, 0, 0])

    const [adaLine] = lines
    await deliver(order, services[0], contractors[0])
    const approved = await client
      .post(`/orders/${order.id}/lines/${adaLine.id}/approve`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)
    approved.assertHeader('location', `/orders/${order.id}`)
    assert.deepEqual(await Promise.all(contractors.map(balanceOf)), [10800, 0, 0])

    await deliver(order, services[1], contractors[1])
    await approveLines(order.id, lines[1].id, actors.party('employer', employer.id))
    assert.deepEqual(await Promise.all(contractors.map(balanceOf)), [10800, 7650, 0])

    await deliver(order, services[2], contractors[2])
    await approveLines(order.id, null, actors.party('employer', employer.id))
    assert.deepEqual(await Promise.all(contractors.map(balanceOf)), [10800, 7650, 14400])

    // Each transfer is funded by the charge itself and grouped with the order
    const transfers = await Transfer.query().orderBy('id')
    assert.lengthOf(transfers, 3)
    for (const transfer of transfers) {
      const onStripe = await stripe().transfers.retrieve(transfer.stripeTransferId!)
      assert.equal(onStripe.source_transaction, payment.stripeChargeId)
      assert.equal(onStripe.transfer_group, `order_${order.id}`)
      assert.equal(onStripe.amount, transfer.amount)
    }
    const page = await client.get(`/orders/${order.id}`).loginAs(employer)
    page.assertTextIncludes('Where the money went')
    page.assertTextIncludes('Completed')
  })

  test('a declined line is refunded exactly, from the platform; the others go on', async ({
    client,
    assert,
  }) => {
    const { employer, services, linus, ada } = await marketplace()
    const order = await placeTestOrder(employer, services)
    const linusLine = await lineFor(order, services[2])

    const declined = await client
      .post(`/orders/${order.id}/lines/${linusLine.id}/decline`)
      .loginAs(linus)
      .withCsrfToken()
      .form({ reason: 'Booked until March' })
      .redirects(0)
    declined.assertStatus(302)

    const { payment, lines } = await stateOf(order)
    assert.equal(lines.find((line) => line.id === linusLine.id)!.status, 'declined')
    assert.equal(payment.status, 'partially_refunded')
    assert.equal(payment.amountRefunded, 16000)
    const refunds = await stripe().refunds.list({ payment_intent: payment.stripePaymentIntentId! })
    assert.deepEqual(
      refunds.data.map((refund) => [refund.amount, refund.status]),
      [[16000, 'succeeded']]
    )
    const row = await Refund.findByOrFail('orderLineId', linusLine.id)
    assert.equal(row.cause, 'line_canceled')
    assert.equal(await balanceOf(linus), 0)

    // The rest of the order is untouched
    await deliver(order, services[0], ada)
    await approveLines(order.id, null, actors.party('employer', employer.id))
    assert.equal(await balanceOf(ada), 10800)
    const page = await client.get(`/orders/${order.id}`).loginAs(employer)
    page.assertTextIncludes('Booked until March')
  })

  test('the employer cancels one line: its price comes back from the platform, to the cent; an accepted line cannot be canceled', async ({
    client,
    assert,
  }) => {
    const { employer, services, ada, grace, linus } = await marketplace()
    const order = await placeTestOrder(employer, services)
    const graceLine = await lineFor(order, services[1])
    const before = await stateOf(order)
    assert.equal(before.payment.flow, 'charge')
    assert.equal(before.payment.amountCaptured, 36500)

    const canceled = await client
      .post(`/orders/${order.id}/lines/${graceLine.id}/cancel`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)
    canceled.assertHeader('location', `/orders/${order.id}`)
    assert.equal(
      canceled.flashMessage('success'),
      'Canceled. The price goes back to your payment method.'
    )

    const { payment, lines } = await stateOf(order)
    assert.deepEqual(
      lines.map((line) => [line.id, line.amount, line.feeAmount, line.status]),
      before.lines.map((line) => [
        line.id,
        line.amount,
        line.feeAmount,
        line.id === graceLine.id ? 'canceled' : 'requested',
      ])
    )
    // The line's price, all of it (the platform keeps no fee on it), back to the employer
    assert.equal(payment.status, 'partially_refunded')
    assert.equal(payment.amountCaptured, 36500)
    assert.equal(payment.amountRefunded, 8500)
    const refunds = await Refund.query().where('orderId', order.id)
    assert.deepEqual(
      refunds.map((refund) => [
        refund.orderLineId,
        refund.cause,
        refund.amount,
        refund.status,
        refund.reverseTransfer,
      ]),
      [[graceLine.id, 'line_canceled', 8500, 'succeeded', false]]
    )
    const onStripe = await stripe().refunds.list({ payment_intent: payment.stripePaymentIntentId! })
    assert.deepEqual(
      onStripe.data.map((refund) => [refund.id, refund.amount, refund.status]),
      [[refunds[0].stripeRefundId, 8500, 'succeeded']]
    )
    // From the platform: nobody had been paid, no transfer is made or reversed
    assert.lengthOf(await Transfer.query(), 0)
    assert.deepEqual(await Promise.all([ada, grace, linus].map(balanceOf)), [0, 0, 0])

    // Once a contractor accepted, the employer can no longer cancel their line
    const adaLine = await lineFor(order, services[0])
    await acceptLine(order.id, adaLine.id, ada)
    const refused = await client
      .post(`/orders/${order.id}/lines/${adaLine.id}/cancel`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)
    refused.assertHeader('location', `/orders/${order.id}`)
    assert.equal(
      refused.flashMessage('error'),
      'Cannot cancel “Repaint a room”: it is accepted and in progress.'
    )
    const after = await stateOf(order)
    assert.equal(after.lines.find((line) => line.id === adaLine.id)!.status, 'accepted')
    assert.equal(after.payment.amountRefunded, 8500)
    assert.lengthOf(await Refund.query().where('orderId', order.id), 1)

    // The others go on: Ada is paid her share on approval
    await deliverLine(order.id, adaLine.id, ada)
    await approveLines(order.id, adaLine.id, actors.party('employer', employer.id))
    assert.equal(await balanceOf(ada), 10800)
  })

  test('a contractor sees only their own lines, and another contractor’s line is 404', async ({
    client,
    assert,
  }) => {
    const { employer, services, grace } = await marketplace()
    const order = await placeTestOrder(employer, services)
    const adaLine = await lineFor(order, services[0])

    const page = await client.get(`/orders/${order.id}`).loginAs(grace)
    page.assertStatus(200)
    page.assertTextIncludes('Fix a leaking tap')
    page.assertTextIncludes('2 other contractors')
    assert.notInclude(page.text(), 'Repaint a room')
    assert.notInclude(page.text(), 'One-page website')
    assert.notInclude(page.text(), '$120.00')
    assert.notInclude(page.text(), '$365.00')

    for (const action of ['accept', 'decline', 'deliver']) {
      const response = await client
        .post(`/orders/${order.id}/lines/${adaLine.id}/${action}`)
        .loginAs(grace)
        .withCsrfToken()
      response.assertStatus(404)
    }
    const untouched = await lineFor(order, services[0])
    assert.equal(untouched.status, 'requested')
    // The one-line shorthand needs a one-line order for the viewer: grace has one here
    const list = await client.get('/orders').loginAs(grace)
    list.assertTextIncludes('Fix a leaking tap')
    list.assertTextIncludes('$85.00')
    assert.notInclude(list.text(), '$365.00')
  })

  test('twenty concurrent approvals of one line send one transfer', async ({ client, assert }) => {
    const { employer, services, ada } = await marketplace()
    const order = await placeTestOrder(employer, services.slice(0, 2))
    const line = await deliver(order, services[0], ada)

    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        client
          .post(`/orders/${order.id}/lines/${line.id}/approve`)
          .loginAs(employer)
          .withCsrfToken()
          .header('accept', 'application/json')
          .redirects(0)
      )
    )
    assert.isTrue(responses.every((response) => [302, 409].includes(response.status())))
    assert.lengthOf(await Transfer.query().where('orderLineId', line.id), 1)
    const onStripe = await stripe().transfers.list({ destination: await stripeIdOf(ada) })
    assert.lengthOf(onStripe.data, 1)
    assert.equal(await balanceOf(ada), 10800)
    const approvals = await PaymentEvent.query()
      .where('orderLineId', line.id)
      .where('type', 'line.approved')
    assert.lengthOf(approvals, 1)
  })

  test('a transfer Stripe refuses is marked failed, then retried once from the console', async ({
    client,
    assert,
  }) => {
    const { employer, services, ada } = await marketplace()
    const order = await placeTestOrder(employer, services.slice(0, 2))
    const line = await deliver(order, services[0], ada)
    const account = await stripeIdOf(ada)
    await stripe().accounts.update(account, { capabilities: { transfers: { requested: false } } })

    await approveLines(order.id, line.id, actors.party('employer', employer.id))
    const failed = await Transfer.findByOrFail('orderLineId', line.id)
    assert.equal(failed.status, 'failed')
    assert.match(failed.failureMessage!, /cannot receive payments/)
    assert.equal(await balanceOf(ada), 0)
    const page = await client.get(`/orders/${order.id}`).loginAs(employer)
    page.assertTextIncludes('payment to the contractor failed')

    await stripe().accounts.update(account, { capabilities: { transfers: { requested: true } } })
    const retried = await runCommand(OrdersTransfer, [String(order.id), `--line=${line.id}`])
    retried.assertSucceeded()
    const paid = await Transfer.findByOrFail('orderLineId', line.id)
    assert.equal(paid.status, 'paid')
    assert.equal(paid.attempts, 2)
    assert.equal(await balanceOf(ada), 10800)

    const again = await runCommand(OrdersTransfer, [String(order.id), `--line=${line.id}`])
    again.assertExitCode(1)
    assert.match(errorsOf(again)[0], /already paid/)
    const sent = await stripe().transfers.list({ destination: account })
    assert.lengthOf(sent.data, 1)
  })

  test("with STRIPE_FEE_PASSTHROUGH each transfer also bears its share of Stripe's fee, shares adding up to it", async ({
    assert,
  }) => {
    app.config.set('marketplace.stripeFeePassthrough', true)
    const { employer, services, contractors } = await marketplace()
    const order = await placeTestOrder(employer, services)
    for (const [index, service] of services.entries()) {
      await deliver(order, service, contractors[index])
    }
    await approveLines(order.id, null, actors.party('employer', employer.id))

    const { payment, lines } = await stateOf(order)
    const charge = await stripe().charges.retrieve(payment.stripeChargeId!, {
      expand: ['balance_transaction'],
    })
    const stripeFee = (charge.balance_transaction as { fee: number }).fee
    assert.equal(payment.stripeFee, stripeFee)
    const shares = allocate(
      stripeFee,
      lines.map((line) => line.amount)
    )
    const transfers = await Transfer.query().orderBy('orderLineId')
    assert.deepEqual(
      transfers.map((transfer) => [transfer.amount, transfer.stripeFeeShare]),
      lines.map((line, index) => [line.amount - line.feeAmount - shares[index], shares[index]])
    )
    assert.equal(
      transfers.reduce((sum, transfer) => sum + transfer.stripeFeeShare, 0),
      stripeFee
    )
    assert.deepEqual(
      await Promise.all(contractors.map(balanceOf)),
      transfers.map((transfer) => transfer.amount)
    )
  })

  test('lines never accepted are canceled and refunded, deliveries never approved are approved, on the clock', async ({
    client,
    assert,
  }) => {
    const { employer, services, ada, grace } = await marketplace()
    const order = await placeTestOrder(employer, services.slice(0, 2))
    const adaLine = await deliver(order, services[0], ada)
    const graceLine = await lineFor(order, services[1])

    // Crewpay's clock is the sandbox's: moving it moves the deadlines
    const before = await businessNow()
    await advanceSandboxClock(DAY)
    const after = await businessNow()
    assert.isAtLeast(after.diff(before, 'seconds').seconds, DAY)

    // Other tests move the shared clock too: deadlines are checked at chosen moments
    const placedAt = DateTime.now()
    assert.lengthOf(await settleLines({ now: placedAt.plus({ days: 6 }) }), 0)
    const first = await settleLines({ now: placedAt.plus({ days: 7, minutes: 1 }) })
    assert.deepEqual(
      first.map((settlement) => [settlement.lineId, settlement.action, settlement.outcome]),
      [[graceLine.id, 'cancel', 'done']]
    )
    let state = await stateOf(order)
    assert.equal(state.lines.find((line) => line.id === graceLine.id)!.status, 'canceled')
    assert.equal(state.payment.amountRefunded, 8500)
    assert.equal(state.lines.find((line) => line.id === adaLine.id)!.status, 'delivered')
    assert.equal(await balanceOf(grace), 0)

    const second = await settleLines({ now: placedAt.plus({ days: 14, minutes: 2 }) })
    assert.deepEqual(
      second.map((settlement) => [settlement.lineId, settlement.action, settlement.outcome]),
      [[adaLine.id, 'approve', 'done']]
    )
    state = await stateOf(order)
    assert.equal(state.lines.find((line) => line.id === adaLine.id)!.status, 'approved')
    assert.equal(await balanceOf(ada), 10800)
    assert.lengthOf(await settleLines({ now: placedAt.plus({ days: 30 }) }), 0)

    const page = await client.get(`/orders/${order.id}`).loginAs(employer)
    page.assertTextIncludes('Not accepted within 7 days')
    page.assertTextIncludes('Approved automatically')
  })
})

test.group('The cart', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a service that became unavailable is flagged and cannot be checked out', async ({
    client,
    assert,
  }) => {
    const { employer, services } = await marketplace()
    for (const service of services.slice(0, 2)) {
      await client
        .post('/cart/items')
        .loginAs(employer)
        .withCsrfToken()
        .form({ service_id: service.id })
    }
    services[1].active = false
    await services[1].save()

    const cart = await client.get('/cart').loginAs(employer)
    cart.assertTextIncludes('No longer offered')
    cart.assertTextIncludes('remove them to check out')

    const checkout = await client
      .post('/cart/checkout')
      .loginAs(employer)
      .withCsrfToken()
      .header('accept', 'application/json')
    checkout.assertStatus(409)
    assert.lengthOf(await Order.all(), 0)
    assert.lengthOf(await Payment.all(), 0)
  })

  test('one currency per order: a mixed cart says so and cannot be checked out', async ({
    client,
    assert,
  }) => {
    const { employer, services, ada } = await marketplace()
    const euros = await createService(ada, { title: 'Paint a door', price: 9000, currency: 'eur' })
    for (const service of [services[0], euros]) {
      await client
        .post('/cart/items')
        .loginAs(employer)
        .withCsrfToken()
        .form({ service_id: service.id })
    }
    const cart = await client.get('/cart').loginAs(employer)
    cart.assertTextIncludes('USD and EUR')
    const checkout = await client
      .post('/cart/checkout')
      .loginAs(employer)
      .withCsrfToken()
      .header('accept', 'application/json')
    checkout.assertStatus(409)
    assert.match(checkout.body().error, /one currency/)
    assert.lengthOf(await Order.all(), 0)
  })

  test('the cart survives logging out; another employer’s item is 404; adding twice is one item', async ({
    client,
    assert,
  }) => {
    const { employer, services } = await marketplace()
    const other = await createEmployer()
    for (let round = 0; round < 2; round += 1) {
      await client
        .post('/cart/items')
        .loginAs(employer)
        .withCsrfToken()
        .form({ service_id: services[0].id })
    }
    await client.post('/logout').loginAs(employer).withCsrfToken()
    const cart = await client.get('/cart').loginAs(employer)
    assert.lengthOf(cart.text().match(/>Remove</g) ?? [], 1)

    const { default: CartItem } = await import('#models/cart_item')
    const item = await CartItem.firstOrFail()
    const stranger = await client
      .post(`/cart/items/${item.id}/remove`)
      .loginAs(other)
      .withCsrfToken()
    stranger.assertStatus(404)
    assert.lengthOf(await CartItem.all(), 1)

    const unknown = await client
      .post('/cart/items')
      .loginAs(employer)
      .withCsrfToken()
      .header('accept', 'application/json')
      .form({ service_id: 999999 })
    unknown.assertStatus(404)
  })

  test('a checkout submitted three times at once is one order and one payment', async ({
    client,
    assert,
  }) => {
    const { employer, services } = await marketplace()
    for (const service of services) {
      await client
        .post('/cart/items')
        .loginAs(employer)
        .withCsrfToken()
        .form({ service_id: service.id })
    }
    const form = { form_token: '4f1d3c8e-8d1f-4c49-9a8e-2f7a4b1c0d9e' }
    const responses = await Promise.all(
      [0, 1, 2].map(() =>
        client.post('/cart/checkout').loginAs(employer).withCsrfToken().form(form).redirects(0)
      )
    )
    const orders = await Order.all()
    assert.lengthOf(orders, 1)
    for (const response of responses) {
      response.assertHeader('location', `/orders/${orders[0].id}`)
    }
    assert.lengthOf(await Payment.all(), 1)
    const intents = await stripe().paymentIntents.list({ customer: await stripeIdOf(employer) })
    assert.lengthOf(intents.data, 1)
  })
})
