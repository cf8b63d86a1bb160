import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import { DateTime } from 'luxon'
import Order from '#models/order'
import HoldsExpire from '#commands/holds_expire'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor, createEmployer } from '#tests/helpers/stripe'
import { createService, placeTestOrder } from '#tests/helpers/orders'
import { acceptOrder } from '#actions/orders/accept_order'
import { deliverOrder } from '#actions/orders/deliver_order'

/** Pretend the hold was placed `days` ago (the sandbox's hold is still valid) */
async function age(order: Order, days: number) {
  await Order.query()
    .where('id', order.id)
    .update({ authorizedAt: DateTime.now().minus({ days, minutes: 1 }).toJSDate() })
}

async function scenario() {
  const contractor = await createActiveContractor()
  const employer = await createEmployer()
  const service = await createService(contractor, { price: 7000 })
  const notAccepted = await placeTestOrder(employer, service)
  const delivered = await placeTestOrder(employer, service)
  const recent = await placeTestOrder(employer, service)
  await acceptOrder(delivered.id, contractor)
  await deliverOrder(delivered.id, contractor)
  await age(notAccepted, 6)
  await age(delivered, 6)
  await age(recent, 5)
  await delivered.refresh()
  return { notAccepted, delivered, recent }
}

test.group('holds:expire', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('--dry-run lists what it would do and changes nothing', async ({ assert }) => {
    const { notAccepted, delivered, recent } = await scenario()

    const command = await ace.create(HoldsExpire, ['--dry-run'])
    await command.exec()

    command.assertSucceeded()
    command.assertLogMatches(new RegExp(`#${notAccepted.id}.*would release`))
    command.assertLogMatches(new RegExp(`#${delivered.id}.*would capture`))
    const expected = {
      [notAccepted.id]: 'authorized',
      [delivered.id]: 'delivered',
      [recent.id]: 'authorized',
    }
    for (const order of [notAccepted, delivered, recent]) {
      await order.refresh()
      assert.equal(order.status, expected[order.id])
    }
    const paymentIntent = await stripe().paymentIntents.retrieve(notAccepted.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'requires_capture')
  })

  test('releases undelivered holds and captures delivered ones at 6 days, once', async ({
    assert,
  }) => {
    const { notAccepted, delivered, recent } = await scenario()

    const command = await ace.create(HoldsExpire, [])
    await command.exec()
    command.assertSucceeded()

    await notAccepted.refresh()
    await delivered.refresh()
    await recent.refresh()
    assert.equal(notAccepted.status, 'expired')
    assert.equal(delivered.status, 'captured')
    assert.equal(delivered.amountCaptured, 7000)
    assert.equal(recent.status, 'authorized')

    const released = await stripe().paymentIntents.retrieve(notAccepted.stripePaymentIntentId!)
    assert.equal(released.status, 'canceled')
    assert.equal(released.cancellation_reason, 'abandoned')
    const captured = await stripe().paymentIntents.retrieve(delivered.stripePaymentIntentId!)
    assert.equal(captured.status, 'succeeded')

    // Running it again (cron every few minutes) finds nothing to do
    const again = await ace.create(HoldsExpire, [])
    await again.exec()
    again.assertSucceeded()
    again.assertLog('[ blue(info) ] No hold is due.')
  })
})
