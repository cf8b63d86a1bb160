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
import { expireHolds } from '#actions/holds/expire_holds'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import type { MarketplaceConfig } from '#config/marketplace'

/** Pretend Stripe drops the hold in `hours` (the sandbox's hold is in fact still valid) */
async function holdLeft(order: Order, hours: number) {
  await Order.query()
    .where('id', order.id)
    .update({ holdExpiresAt: DateTime.now().plus({ hours }).toJSDate() })
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
  // 6 days into a 7-day hold, and 5 days into one
  await holdLeft(notAccepted, 23.9)
  await holdLeft(delivered, 23.9)
  await holdLeft(recent, 48)
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

  test('a shorter hold (Visa merchant-initiated: 4 days 18 hours) is settled a day before it ends', async ({
    assert,
  }) => {
    const { recent } = await scenario()
    // Authorized 4 days ago, Stripe says the hold ends in 18 hours
    await Order.query()
      .where('id', recent.id)
      .update({
        authorizedAt: DateTime.now().minus({ days: 4 }).toJSDate(),
        holdExpiresAt: DateTime.now().plus({ hours: 18 }).toJSDate(),
      })

    const command = await ace.create(HoldsExpire, [])
    await command.exec()

    await recent.refresh()
    assert.equal(recent.status, 'expired')
  })

  test('without a capture_before the hold counts as 7 days from authorization', async ({
    assert,
  }) => {
    const { recent, notAccepted } = await scenario()
    await Order.query().whereIn('id', [recent.id, notAccepted.id]).update({ holdExpiresAt: null })
    await Order.query()
      .where('id', notAccepted.id)
      .update({ authorizedAt: DateTime.now().minus({ days: 6, minutes: 1 }).toJSDate() })
    await Order.query()
      .where('id', recent.id)
      .update({ authorizedAt: DateTime.now().minus({ days: 5 }).toJSDate() })

    const command = await ace.create(HoldsExpire, ['--dry-run'])
    await command.exec()

    command.assertLogMatches(new RegExp(`#${notAccepted.id}.*would release`))
    assert.notMatch(
      command.logger
        .getLogs()
        .map((log) => log.message)
        .join('\n'),
      new RegExp(`#${recent.id}\\b`)
    )
  })

  test('HOLD_EXPIRY_DELIVERED=release releases delivered orders too', async ({ assert }) => {
    const { delivered } = await scenario()
    const original = app.config.get<MarketplaceConfig>('marketplace').deliveredHoldPolicy
    app.config.set('marketplace.deliveredHoldPolicy', 'release')
    try {
      const command = await ace.create(HoldsExpire, [])
      await command.exec()
    } finally {
      app.config.set('marketplace.deliveredHoldPolicy', original)
    }

    await delivered.refresh()
    assert.equal(delivered.status, 'expired')
    const paymentIntent = await stripe().paymentIntents.retrieve(delivered.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'canceled')
  })

  test('work delivered while the job runs is never released', async ({ assert }) => {
    const { notAccepted } = await scenario()
    const contractorId = notAccepted.contractorId
    await Order.query().where('id', notAccepted.id).update({ status: 'accepted' })

    // The contractor's "deliver" holds the row while the job has already listed it
    const trx = await db.transaction()
    await Order.query({ client: trx }).where('id', notAccepted.id).forUpdate().firstOrFail()
    const job = expireHolds({})
    await new Promise((resolve) => setTimeout(resolve, 300))
    await Order.query({ client: trx }).where('id', notAccepted.id).update({ status: 'delivered' })
    await trx.commit()
    const decisions = await job

    await notAccepted.refresh()
    assert.notEqual(notAccepted.status, 'expired')
    const paymentIntent = await stripe().paymentIntents.retrieve(notAccepted.stripePaymentIntentId!)
    assert.notEqual(paymentIntent.status, 'canceled')
    const decision = decisions.find((candidate) => candidate.orderId === notAccepted.id)
    assert.oneOf(decision?.outcome, ['skipped', 'done'])
    assert.equal(notAccepted.contractorId, contractorId)
  })
})
