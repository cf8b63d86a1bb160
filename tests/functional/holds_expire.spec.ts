import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import type Order from '#models/order'
import Payment from '#models/payment'
import PaymentEvent from '#models/payment_event'
import HoldsExpire from '#commands/holds_expire'
import type { MarketplaceConfig } from '#config/marketplace'
import { stripe } from '#stripe/client'
import { actors } from '#domain/actor'
import { truncateAllTables } from '#tests/helpers/database'
import {
  advanceSandboxClock,
  createActiveContractor,
  createEmployer,
  withStripeUnreachable,
} from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { acceptLine } from '#actions/orders/accept_line'
import { deliverLine } from '#actions/orders/deliver_line'
import { approveLines } from '#actions/orders/approve_line'
import { expireHolds } from '#actions/holds/expire_holds'
import { businessNow } from '#services/clock'

/** "Now" as holds:expire sees it: Stripe's clock (other tests move the sandbox's forward) */
async function now() {
  return businessNow()
}

/** Pretend Stripe drops the hold in `hours` (the sandbox's hold is in fact still valid) */
async function holdLeft(order: Order, hours: number) {
  const at = await now()
  await Payment.query()
    .where('orderId', order.id)
    .update({ captureBefore: at.plus({ hours }).toJSDate() })
}

async function scenario() {
  const contractor = await createActiveContractor()
  const employer = await createEmployer()
  const service = await createService(contractor, { price: 7000 })
  const notAccepted = await placeTestOrder(employer, service)
  const delivered = await placeTestOrder(employer, service)
  const recent = await placeTestOrder(employer, service)
  await acceptLine(delivered.id, null, contractor)
  await deliverLine(delivered.id, null, contractor)
  // 6 days into a 7-day hold, and 5 days into one
  await holdLeft(notAccepted, 23.9)
  await holdLeft(delivered, 23.9)
  await holdLeft(recent, 48)
  return { contractor, employer, notAccepted, delivered, recent }
}

async function runHoldsExpire(argv: string[] = []) {
  ace.ui.logger.flushLogs()
  const command = await ace.create(HoldsExpire, argv)
  await command.exec()
  return command
}

async function paymentIntentOf(order: Order) {
  const { payment } = await stateOf(order)
  return stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
}

/** Waits until another connection is queued on a row lock (the job reached the order's lock) */
async function someoneWaitsForALock() {
  for (let attempt = 0; attempt < 250; attempt++) {
    const { rows } = await db.rawQuery(
      'SELECT count(*)::int AS waiting FROM pg_locks WHERE NOT granted'
    )
    if (rows[0].waiting > 0) {
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('Nothing ever waited for the lock')
}

test.group('holds:expire', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('--dry-run lists what it would do and changes nothing', async ({ assert }) => {
    const { notAccepted, delivered, recent } = await scenario()

    const command = await runHoldsExpire(['--dry-run'])

    command.assertSucceeded()
    command.assertLogMatches(new RegExp(`#${notAccepted.id}\\b.*\\$70\\.00.*would release`))
    command.assertLogMatches(new RegExp(`#${delivered.id}\\b.*\\$70\\.00.*would capture`))
    assert.notMatch(
      command.logger
        .getLogs()
        .map((log) => log.message)
        .join('\n'),
      new RegExp(`#${recent.id}\\b`)
    )
    const expected = new Map([
      [notAccepted.id, 'requested'],
      [delivered.id, 'delivered'],
      [recent.id, 'requested'],
    ])
    for (const order of [notAccepted, delivered, recent]) {
      const { line, payment } = await stateOf(order)
      assert.equal(line.status, expected.get(order.id))
      assert.equal(payment.status, 'authorized')
      assert.isNull(payment.pendingAction)
      const paymentIntent = await paymentIntentOf(order)
      assert.equal(paymentIntent.status, 'requires_capture')
    }
    const requested = await PaymentEvent.query().whereIn('type', [
      'payment.capture_requested',
      'payment.cancel_requested',
    ])
    assert.lengthOf(requested, 0)
  })

  test('releases undelivered holds and captures delivered ones at 6 days, once', async ({
    assert,
  }) => {
    const { notAccepted, delivered, recent } = await scenario()

    const command = await runHoldsExpire()
    command.assertSucceeded()

    const released = await stateOf(notAccepted)
    assert.equal(released.line.status, 'canceled')
    assert.equal(released.payment.status, 'canceled')
    assert.equal(released.payment.cancellationReason, 'abandoned')
    assert.equal(released.payment.amountCaptured, 0)
    const captured = await stateOf(delivered)
    assert.equal(captured.line.status, 'approved')
    assert.equal(captured.payment.status, 'succeeded')
    assert.equal(captured.payment.amountCaptured, 7000)
    assert.lengthOf(captured.transfers, 1)
    assert.match(captured.transfers[0].stripeTransferId!, /^tr_/)
    const untouched = await stateOf(recent)
    assert.equal(untouched.line.status, 'requested')
    assert.equal(untouched.payment.status, 'authorized')

    const releasedIntent = await paymentIntentOf(notAccepted)
    assert.equal(releasedIntent.status, 'canceled')
    assert.equal(releasedIntent.cancellation_reason, 'abandoned')
    const capturedIntent = await paymentIntentOf(delivered)
    assert.equal(capturedIntent.status, 'succeeded')
    assert.equal(capturedIntent.amount_received, 7000)
    const stillHeld = await paymentIntentOf(recent)
    assert.equal(stillHeld.status, 'requires_capture')
    // The job's changes are audited as the job's
    const moves = await PaymentEvent.query()
      .whereIn('orderId', [notAccepted.id, delivered.id])
      .whereIn('type', ['payment.cancel_requested', 'payment.capture_requested'])
    assert.lengthOf(moves, 2)
    assert.isTrue(moves.every((event) => event.actor === 'system:holds'))

    // Running it again (cron every few minutes) finds nothing to do
    const again = await runHoldsExpire()
    again.assertSucceeded()
    again.assertLog('[ blue(info) ] No hold is due.')
    const captures = await PaymentEvent.query()
      .where('orderId', delivered.id)
      .where('type', 'payment.succeeded')
    assert.lengthOf(captures, 1)
  })

  test('a shorter hold (Visa merchant-initiated: 4 days 18 hours) is settled a day before it ends', async ({
    assert,
  }) => {
    const { recent } = await scenario()
    // Authorized 4 days ago, Stripe says the hold ends in 18 hours
    const at = await now()
    await Payment.query()
      .where('orderId', recent.id)
      .update({
        authorizedAt: at.minus({ days: 4 }).toJSDate(),
        captureBefore: at.plus({ hours: 18 }).toJSDate(),
      })

    await runHoldsExpire()

    const { line, payment } = await stateOf(recent)
    assert.equal(payment.status, 'canceled')
    assert.equal(payment.cancellationReason, 'abandoned')
    assert.equal(line.status, 'canceled')
  })

  test('without a capture_before the hold counts as 7 days from authorization', async ({
    assert,
  }) => {
    const { recent, notAccepted } = await scenario()
    await Payment.query()
      .whereIn('orderId', [recent.id, notAccepted.id])
      .update({ captureBefore: null })
    const at = await now()
    await Payment.query()
      .where('orderId', notAccepted.id)
      .update({ authorizedAt: at.minus({ days: 6, minutes: 1 }).toJSDate() })
    await Payment.query()
      .where('orderId', recent.id)
      .update({ authorizedAt: at.minus({ days: 5 }).toJSDate() })

    const command = await runHoldsExpire(['--dry-run'])

    command.assertLogMatches(new RegExp(`#${notAccepted.id}\\b.*would release`))
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
      await runHoldsExpire()
    } finally {
      app.config.set('marketplace.deliveredHoldPolicy', original)
    }

    const { line, payment } = await stateOf(delivered)
    assert.equal(payment.status, 'canceled')
    assert.equal(payment.amountCaptured, 0)
    assert.equal(line.status, 'canceled')
    const paymentIntent = await paymentIntentOf(delivered)
    assert.equal(paymentIntent.status, 'canceled')
  })

  test('work delivered while the job runs is captured, never released', async ({ assert }) => {
    const { contractor, notAccepted } = await scenario()
    await acceptLine(notAccepted.id, null, contractor)

    // The contractor's "deliver" holds the order while the job has already listed it as undelivered
    const trx = await db.transaction()
    await trx.from('orders').where('id', notAccepted.id).forUpdate().first()
    const job = expireHolds({})
    await someoneWaitsForALock()
    await trx
      .from('order_lines')
      .where('order_id', notAccepted.id)
      .update({ status: 'delivered', delivered_at: new Date() })
    await trx.commit()
    const decisions = await job

    const decision = decisions.find((candidate) => candidate.orderId === notAccepted.id)
    assert.equal(decision?.action, 'capture')
    assert.equal(decision?.outcome, 'done')
    const { line, payment } = await stateOf(notAccepted)
    assert.equal(payment.status, 'succeeded')
    assert.equal(line.status, 'approved')
    const paymentIntent = await paymentIntentOf(notAccepted)
    assert.equal(paymentIntent.status, 'succeeded')
  })

  test('an approval whose capture got no answer is captured before the hold ends, not skipped', async ({
    assert,
  }) => {
    const { employer, delivered } = await scenario()
    await withStripeUnreachable(() =>
      approveLines(delivered.id, null, actors.party('employer', employer.id))
    )
    const waiting = await stateOf(delivered)
    assert.equal(waiting.payment.pendingAction, 'capture')
    assert.equal(waiting.line.status, 'delivered')

    const command = await runHoldsExpire()

    command.assertSucceeded()
    command.assertLogMatches(new RegExp(`#${delivered.id}\\b.*capture.*done`))
    const { line, payment, transfers } = await stateOf(delivered)
    assert.equal(payment.status, 'succeeded')
    assert.equal(payment.amountCaptured, 7000)
    assert.isNull(payment.pendingAction)
    assert.equal(line.status, 'approved')
    assert.lengthOf(transfers, 1)
    const charges = await stripe().charges.list({ payment_intent: payment.stripePaymentIntentId! })
    assert.lengthOf(charges.data, 1)
    assert.equal(charges.data[0].amount_captured, 7000)
    // The employer's capture, sent once: no second request from the job
    const requested = await PaymentEvent.query()
      .where('paymentId', payment.id)
      .where('type', 'payment.capture_requested')
    assert.deepEqual(
      requested.map((event) => event.actor),
      [`user:${employer.id}`]
    )
  })

  test('a job that runs after Stripe dropped the holds records the expiry, and says what was lost', async ({
    assert,
  }) => {
    const { notAccepted, delivered } = await scenario()
    // The job did not run for a week: Stripe released every hold itself
    await advanceSandboxClock(7 * 24 * 3600 + 60)

    const command = await runHoldsExpire()

    command.assertExitCode(1)
    command.assertLogMatches(new RegExp(`#${delivered.id}\\b.*capture.*failed.*expired`))
    for (const order of [notAccepted, delivered]) {
      const { line, payment } = await stateOf(order)
      assert.equal(payment.status, 'canceled')
      assert.equal(payment.cancellationReason, 'automatic')
      assert.equal(payment.amountCaptured, 0)
      assert.equal(line.status, 'canceled')
      assert.isNull(payment.pendingAction)
    }
  })
})
