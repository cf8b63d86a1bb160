import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import PaymentEvent from '#models/payment_event'
import Refund from '#models/refund'
import OrdersCapture from '#commands/orders_capture'
import OrdersCancel from '#commands/orders_cancel'
import OrdersRefund from '#commands/orders_refund'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor, createEmployer, stripeIdOf } from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { runCommand } from '#tests/functional/console_helpers'

/*
| Fifty requests for the same money movement at once, half from the web and
| half from the console: money moves once, every other request is answered
| (done already, or refused), and nothing answers 500.
*/

const HALF = 25

async function marketplace() {
  const contractor = await createActiveContractor({ email: 'carla@example.com' })
  const employer = await createEmployer({ email: 'erin@example.com' })
  const service = await createService(contractor, { price: 12000 })
  const order = await placeTestOrder(employer, service)
  return { contractor, employer, order }
}

async function eventsOf(orderId: number, type: string) {
  return PaymentEvent.query().where('orderId', orderId).where('type', type)
}

test.group('Races: web against console, fifty at once', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('approvals from the web and captures from the console capture once', async ({
    client,
    assert,
  }) => {
    const { contractor, employer, order } = await marketplace()
    await client.post(`/orders/${order.id}/accept`).loginAs(contractor).withCsrfToken()
    await client.post(`/orders/${order.id}/deliver`).loginAs(contractor).withCsrfToken()

    const [responses, commands] = await Promise.all([
      Promise.all(
        Array.from({ length: HALF }, () =>
          client
            .post(`/orders/${order.id}/approve`)
            .loginAs(employer)
            .withCsrfToken()
            .header('accept', 'application/json')
            .redirects(0)
        )
      ),
      Promise.all(
        Array.from({ length: HALF }, () => runCommand(OrdersCapture, [String(order.id), '--force']))
      ),
    ])

    for (const response of responses) {
      assert.include([302, 409], response.status())
    }
    for (const command of commands) {
      assert.include([0, 1], command.exitCode ?? 0)
    }
    const { line, payment, transfers } = await stateOf(order)
    assert.equal(line.status, 'approved')
    assert.equal(payment.status, 'succeeded')
    assert.equal(payment.amountCaptured, 12000)
    assert.lengthOf(await eventsOf(order.id, 'payment.succeeded'), 1)
    assert.lengthOf(transfers, 1)
    const charges = await stripe().charges.list({ payment_intent: payment.stripePaymentIntentId! })
    assert.lengthOf(charges.data, 1)
    assert.equal(charges.data[0].amount_captured, 12000)
    const onStripe = await stripe().transfers.list({ destination: await stripeIdOf(contractor) })
    assert.lengthOf(onStripe.data, 1)
    assert.equal(onStripe.data[0].amount, 12000)
  }).timeout(120_000)

  test('cancels from the web and from the console release the hold once', async ({
    client,
    assert,
  }) => {
    const { employer, order } = await marketplace()

    const [responses, commands] = await Promise.all([
      Promise.all(
        Array.from({ length: HALF }, () =>
          client
            .post(`/orders/${order.id}/cancel`)
            .loginAs(employer)
            .withCsrfToken()
            .header('accept', 'application/json')
            .redirects(0)
        )
      ),
      Promise.all(
        Array.from({ length: HALF }, () => runCommand(OrdersCancel, [String(order.id), '--force']))
      ),
    ])

    for (const response of responses) {
      assert.include([302, 409], response.status())
    }
    for (const command of commands) {
      assert.include([0, 1], command.exitCode ?? 0)
    }
    const { line, payment } = await stateOf(order)
    assert.equal(line.status, 'canceled')
    assert.equal(payment.status, 'canceled')
    assert.lengthOf(await eventsOf(order.id, 'line.canceled'), 1)
    assert.lengthOf(await eventsOf(order.id, 'payment.canceled'), 1)
    const onStripe = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(onStripe.status, 'canceled')
    assert.equal(onStripe.amount_received, 0)
  }).timeout(120_000)

  test('fifty console refunds of the same amount refund once', async ({ client, assert }) => {
    const { contractor, employer, order } = await marketplace()
    await client.post(`/orders/${order.id}/accept`).loginAs(contractor).withCsrfToken()
    await client.post(`/orders/${order.id}/deliver`).loginAs(contractor).withCsrfToken()
    await client.post(`/orders/${order.id}/approve`).loginAs(employer).withCsrfToken()

    const commands = await Promise.all(
      Array.from({ length: 2 * HALF }, () =>
        runCommand(OrdersRefund, [String(order.id), '--amount=20.00', '--force'])
      )
    )

    for (const command of commands) {
      assert.include([0, 1], command.exitCode ?? 0)
    }
    const refunds = await Refund.query().where('orderId', order.id)
    assert.lengthOf(refunds, 1)
    assert.equal(refunds[0].amount, 2000)
    assert.equal(refunds[0].status, 'succeeded')
    const { payment } = await stateOf(order)
    assert.equal(payment.amountRefunded, 2000)
    const onStripe = await stripe().refunds.list({
      payment_intent: payment.stripePaymentIntentId!,
    })
    assert.lengthOf(onStripe.data, 1)
    assert.equal(onStripe.data[0].amount, 2000)
  }).timeout(120_000)
})
