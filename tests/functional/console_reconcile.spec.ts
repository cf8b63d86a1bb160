import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import db from '@adonisjs/lucid/services/db'
import { userInfo } from 'node:os'
import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import Order from '#models/order'
import Refund from '#models/refund'
import ContractorDebit from '#models/contractor_debit'
import PaymentEvent from '#models/payment_event'
import StripeEvent from '#models/stripe_event'
import OrdersCapture from '#commands/orders_capture'
import StripeReconcile from '#commands/stripe_reconcile'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor, createEmployer, stripeIdOf } from '#tests/helpers/stripe'
import { createService, placeTestOrder } from '#tests/helpers/orders'
import { captureOrder } from '#actions/orders/capture_order'
import { debitTransferGroup } from '#actions/contractors/debit_contractor'
import { PENDING_GRACE_MINUTES } from '#actions/reconcile/reconcile'
import { idempotencyKey } from '#stripe/idempotency'
import {
  errorsOf,
  outputOf,
  runCommand,
  stripeRefundsOf,
  withoutTerminal,
} from '#tests/functional/console_helpers'

const ACTOR = `console:${userInfo().username}`

async function marketplace(card = 'pm_card_visa') {
  const contractor = await createActiveContractor({ email: 'carla@example.com' })
  const employer = await createEmployer({ email: 'erin@example.com' }, card)
  const service = await createService(contractor, { price: 12000 })
  return { contractor, employer, service }
}

/** The event the sandbox recorded for an object (what a webhook would have delivered) */
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

/** Stored as the webhook route stores it, but never applied (the app died meanwhile) */
async function storeUnprocessed(event: Stripe.Event, processingError: string | null = null) {
  await db.table('stripe_events').insert({
    stripe_event_id: event.id,
    type: event.type,
    account: event.account ?? null,
    livemode: event.livemode,
    payload: JSON.stringify(event),
    received_at: new Date(),
    attempts: processingError ? 1 : 0,
    processing_error: processingError,
  })
}

/** Rows last written longer ago than the grace period reconcile gives a request in flight */
async function age(table: 'orders' | 'refunds' | 'contractor_debits', ids: number[]) {
  await db
    .from(table)
    .whereIn('id', ids)
    .update({
      updated_at: DateTime.now()
        .minus({ minutes: PENDING_GRACE_MINUTES + 1 })
        .toJSDate(),
    })
}

test.group('stripe:reconcile', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('finds an order changed behind the app’s back and moves it forward with --fix', async ({
    assert,
  }) => {
    const { employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)
    await runCommand(OrdersCapture, [String(order.id), '--force'])
    await order.refresh()
    const transferId = order.stripeTransferId
    // Someone "fixes" the row by hand
    await Order.query().where('id', order.id).update({
      status: 'authorized',
      amountCaptured: 0,
      capturedAt: null,
      stripeTransferId: null,
    })

    const report = await runCommand(StripeReconcile, [])

    report.assertExitCode(1)
    report.assertTableRows([
      ['Subject', 'Drift', 'Local', 'Stripe', 'Action'],
      [
        `order #${order.id}`,
        'status',
        'authorized',
        `${order.stripePaymentIntentId} succeeded`,
        '--fix: move the order forward to match Stripe',
      ],
    ])
    report.assertLog(
      '[ yellow(warn) ] 1 drift(s) (1 order(s), 0 refund(s), 0 debit(s), 0 stored event(s) ' +
        'checked); 1 can be fixed with --fix.'
    )
    await order.refresh()
    assert.equal(order.status, 'authorized')

    const json = await runCommand(StripeReconcile, ['--json'])
    json.assertExitCode(1)
    const listed = JSON.parse(outputOf(json)[0])
    assert.deepEqual(listed.drifts, [
      {
        subject: `order #${order.id}`,
        problem: 'status',
        local: 'authorized',
        stripe: `${order.stripePaymentIntentId} succeeded`,
        fix: 'move the order forward to match Stripe',
        fixed: false,
      },
    ])

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])

    fixed.assertSucceeded()
    fixed.assertLog(
      '[ green(success) ] 1 drift(s): 1 fixed, 0 left for a person (1 order(s), 0 refund(s), ' +
        '0 debit(s), 0 stored event(s) checked).'
    )
    await order.refresh()
    assert.equal(order.status, 'captured')
    assert.equal(order.amountCaptured, 12000)
    assert.equal(order.stripeTransferId, transferId)
    const moved = await PaymentEvent.query()
      .where('orderId', order.id)
      .where('type', 'order.captured')
      .orderBy('id', 'desc')
      .firstOrFail()
    assert.equal(moved.actor, ACTOR)
    assert.equal(moved.fromStatus, 'authorized')

    const clean = await runCommand(StripeReconcile, [])
    clean.assertSucceeded()
    clean.assertLog(
      '[ green(success) ] No drift: 1 order(s), 0 refund(s), 0 debit(s), 0 stored event(s) checked.'
    )
  })

  test('records a capture and a refund made on Stripe directly', async ({ assert }) => {
    const { employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)
    await stripe().paymentIntents.capture(order.stripePaymentIntentId!)
    const dashboardRefund = await stripe().refunds.create({
      payment_intent: order.stripePaymentIntentId!,
      amount: 2000,
      reason: 'duplicate',
    })

    // The order is still authorized here: the report checks its refunds all the same (from the
    // PaymentIntent), so the fixes confirmed are the fixes applied
    const fixed = await runCommand(StripeReconcile, ['--fix'], (command) => {
      command.prompt.trap('Apply 3 fix(es)?').accept()
    })

    fixed.assertSucceeded()
    fixed.assertLog('[ blue(info) ] 3 drift(s) found; 3 can be fixed.')
    fixed.assertLog(
      '[ green(success) ] 3 drift(s): 3 fixed, 0 left for a person (1 order(s), 0 refund(s), ' +
        '0 debit(s), 0 stored event(s) checked).'
    )
    fixed.assertTableRows([
      [
        `order #${order.id}`,
        'status',
        'authorized',
        `${order.stripePaymentIntentId} succeeded`,
        'fixed: move the order forward to match Stripe',
      ],
      [
        `refund ${dashboardRefund.id} (order #${order.id})`,
        'made on Stripe, no local record',
        'none',
        '$20.00 succeeded',
        'fixed: record it',
      ],
      [
        `order #${order.id}`,
        'refunded amount',
        '$0.00',
        '$20.00',
        'fixed: take Stripe’s total (as charge.refunded does)',
      ],
    ])
    await order.refresh()
    assert.equal(order.status, 'partially_refunded')
    assert.equal(order.amountCaptured, 12000)
    assert.equal(order.amountRefunded, 2000)
    assert.match(order.stripeTransferId!, /^tr_/)
    const recorded = await Refund.findByOrFail('orderId', order.id)
    assert.equal(recorded.stripeRefundId, dashboardRefund.id)
    assert.equal(recorded.status, 'succeeded')
    assert.equal(recorded.amount, 2000)
    assert.equal(recorded.reason, 'duplicate')
    assert.equal(recorded.initiatedBy, 'stripe')
    const timeline = await PaymentEvent.query().where('orderId', order.id).orderBy('id')
    assert.deepEqual(
      timeline.map((event) => [event.type, event.actor]),
      [
        ['order.placed', `user:${employer.id}`],
        ['order.authorized', `user:${employer.id}`],
        ['order.captured', ACTOR],
        ['refund.recorded', ACTOR],
        ['order.refund_settled', ACTOR],
      ]
    )
    // Nothing was sent to Stripe on the way
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 1)

    const clean = await runCommand(StripeReconcile, [])
    clean.assertSucceeded()
  })

  test('the report only reads: it never waits for a row another operation holds', async ({
    assert,
  }) => {
    const { contractor, employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)
    await ContractorDebit.create({
      contractorId: contractor.id,
      amount: 700,
      currency: 'usd',
      reason: 'Penalty',
      status: 'owed',
      initiatedBy: ACTOR,
    })
    // A capture (or a debit) in progress holds the order's and the contractor's rows
    const holder = await db.transaction()
    await holder.from('orders').where('id', order.id).forUpdate().first()
    await holder.from('user_profiles').where('user_id', contractor.id).forUpdate().first()

    const report = runCommand(StripeReconcile, [])
    const finished = await Promise.race([
      report.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000)),
    ])
    await holder.commit()

    assert.isTrue(finished)
    const done = await report
    done.assertSucceeded()
  })

  test('applies stored webhook events that were never processed, first', async ({ assert }) => {
    const { employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)
    await stripe().paymentIntents.capture(order.stripePaymentIntentId!)
    const succeeded = await sandboxEvent('payment_intent.succeeded', order.stripePaymentIntentId!)
    await storeUnprocessed(succeeded, 'Connection terminated unexpectedly')

    const report = await runCommand(StripeReconcile, [])
    report.assertExitCode(1)
    report.assertTableRows([
      [
        `event ${succeeded.id}`,
        'payment_intent.succeeded stored, not applied',
        'failed: Connection terminated unexpectedly',
        'platform',
        '--fix: apply it',
      ],
      [
        `order #${order.id}`,
        'status',
        'authorized',
        `${order.stripePaymentIntentId} succeeded`,
        '--fix: move the order forward to match Stripe',
      ],
    ])

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])

    fixed.assertSucceeded()
    fixed.assertTableRows([
      [
        `event ${succeeded.id}`,
        'payment_intent.succeeded stored, not applied',
        'failed: Connection terminated unexpectedly',
        'platform',
        'fixed: apply it',
      ],
    ])
    const stored = await StripeEvent.findByOrFail('stripeEventId', succeeded.id)
    assert.isNotNull(stored.processedAt)
    assert.isNull(stored.processingError)
    assert.equal(stored.attempts, 2)
    await order.refresh()
    assert.equal(order.status, 'captured')
    assert.equal(order.amountCaptured, 12000)
    const captured = await PaymentEvent.query()
      .where('orderId', order.id)
      .where('type', 'order.captured')
      .firstOrFail()
    // The event moved it, not the order check that came after
    assert.equal(captured.actor, `webhook:${succeeded.id}`)
  })

  test('closes pending rows that never reached Stripe and records those that did', async ({
    assert,
  }) => {
    const { contractor, employer, service } = await marketplace('pm_card_bypassPending')
    const placed = await placeTestOrder(employer, service)
    await captureOrder(placed.id, { actor: 'test' })
    const order = await Order.findOrFail(placed.id)
    const pendingRow = (amount: number) =>
      Refund.create({
        orderId: order.id,
        amount,
        currency: 'usd',
        reverseTransfer: true,
        refundApplicationFee: true,
        status: 'pending',
        initiatedBy: ACTOR,
      })
    const lost = await pendingRow(1000)
    const arrived = await pendingRow(2000)
    const arrivedOnStripe = await stripe().refunds.create({
      payment_intent: order.stripePaymentIntentId!,
      amount: 2000,
      reverse_transfer: true,
      refund_application_fee: true,
      metadata: { crewpay_refund: arrived.reference },
    })
    const debitRow = (amount: number) =>
      ContractorDebit.create({
        contractorId: contractor.id,
        amount,
        currency: 'usd',
        reason: 'Penalty',
        status: 'pending',
        initiatedBy: ACTOR,
      })
    const lostDebit = await debitRow(600)
    const arrivedDebit = await debitRow(700)
    const payment = await stripe().charges.create({
      amount: 700,
      currency: 'usd',
      source: await stripeIdOf(contractor),
      transfer_group: debitTransferGroup(arrivedDebit),
    })
    await age('refunds', [lost.id, arrived.id])
    await age('contractor_debits', [lostDebit.id, arrivedDebit.id])
    // Written a moment ago: its request may still be on its way to Stripe
    const young = await pendingRow(500)
    const youngDebit = await debitRow(800)

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])

    fixed.assertSucceeded()
    fixed.assertLog(
      `[ blue(info) ] refund #${young.id} (order #${order.id}): pending for 0 minute(s), not on ` +
        `Stripe (yet); left alone until it is ${PENDING_GRACE_MINUTES} minutes old.`
    )
    fixed.assertLog(
      `[ blue(info) ] debit #${youngDebit.id}: pending for 0 minute(s), not on Stripe (yet); ` +
        `left alone until it is ${PENDING_GRACE_MINUTES} minutes old.`
    )
    fixed.assertTableRows([
      [
        `refund #${lost.id} (order #${order.id})`,
        'never reached Stripe',
        'pending $10.00',
        'no refund',
        'fixed: mark it failed (nothing was refunded)',
      ],
      [
        `refund #${arrived.id} (order #${order.id})`,
        'outcome not recorded',
        'pending $20.00',
        `${arrivedOnStripe.id} succeeded`,
        "fixed: record Stripe's outcome",
      ],
      [
        `debit #${lostDebit.id}`,
        'never reached Stripe',
        'pending $6.00',
        'no debit',
        'fixed: mark it failed (nothing was charged)',
      ],
      [
        `debit #${arrivedDebit.id}`,
        'outcome not recorded',
        'pending $7.00',
        `${payment.id} succeeded`,
        "fixed: record Stripe's outcome",
      ],
    ])
    await lost.refresh()
    await arrived.refresh()
    await lostDebit.refresh()
    await arrivedDebit.refresh()
    assert.equal(lost.status, 'failed')
    assert.equal(arrived.status, 'succeeded')
    assert.equal(arrived.stripeRefundId, arrivedOnStripe.id)
    assert.equal(lostDebit.status, 'failed')
    assert.equal(arrivedDebit.status, 'succeeded')
    assert.equal(arrivedDebit.stripeId, payment.id)
    await order.refresh()
    assert.equal(order.amountRefunded, 2000)
    assert.equal(order.status, 'partially_refunded')
    // Nothing new was sent to Stripe
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 1)
    const lostPayments = await stripe().charges.list({
      transfer_group: debitTransferGroup(lostDebit),
    })
    assert.lengthOf(lostPayments.data, 0)
    await young.refresh()
    await youngDebit.refresh()
    assert.equal(young.status, 'pending')
    assert.equal(youngDebit.status, 'pending')

    await young.delete()
    await youngDebit.delete()
    const clean = await runCommand(StripeReconcile, [])
    clean.assertSucceeded()
  })

  test('a request that lands on Stripe after its row was closed: reported, and --fix takes Stripe’s outcome', async ({
    assert,
  }) => {
    const { contractor, employer, service } = await marketplace('pm_card_bypassPending')
    const placed = await placeTestOrder(employer, service)
    await captureOrder(placed.id, { actor: 'test' })
    const order = await Order.findOrFail(placed.id)
    const refund = await Refund.create({
      orderId: order.id,
      amount: 5000,
      currency: 'usd',
      reverseTransfer: true,
      refundApplicationFee: true,
      status: 'pending',
      initiatedBy: ACTOR,
    })
    const debit = await ContractorDebit.create({
      contractorId: contractor.id,
      amount: 700,
      currency: 'usd',
      reason: 'Penalty',
      status: 'pending',
      initiatedBy: ACTOR,
    })
    await age('refunds', [refund.id])
    await age('contractor_debits', [debit.id])
    await runCommand(StripeReconcile, ['--fix', '--force'])
    await refund.refresh()
    await debit.refresh()
    assert.equal(refund.status, 'failed')
    assert.equal(debit.status, 'failed')

    // The original requests (same keys) reach Stripe after all
    const late = await stripe().refunds.create(
      {
        payment_intent: order.stripePaymentIntentId!,
        amount: 5000,
        reverse_transfer: true,
        refund_application_fee: true,
        metadata: { crewpay_refund: refund.reference },
      },
      { idempotencyKey: idempotencyKey('refund', refund, 'create') }
    )
    const latePayment = await stripe().charges.create(
      {
        amount: 700,
        currency: 'usd',
        source: await stripeIdOf(contractor),
        transfer_group: debitTransferGroup(debit),
      },
      { idempotencyKey: idempotencyKey('contractor_debit', debit, 'create') }
    )

    const report = await runCommand(StripeReconcile, [])

    report.assertExitCode(1)
    report.assertTableRows([
      ['Subject', 'Drift', 'Local', 'Stripe', 'Action'],
      [
        `refund #${refund.id} (order #${order.id})`,
        'failed locally, exists on Stripe',
        'failed $50.00',
        `${late.id} succeeded`,
        "--fix: record Stripe's outcome",
      ],
      [
        `order #${order.id}`,
        'refunded amount',
        '$0.00',
        '$50.00',
        '--fix: take Stripe’s total (as charge.refunded does)',
      ],
      [
        `debit #${debit.id}`,
        'failed locally, exists on Stripe',
        'failed $7.00',
        `${latePayment.id} succeeded`,
        "--fix: record Stripe's outcome",
      ],
    ])

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])

    fixed.assertSucceeded()
    await refund.refresh()
    await debit.refresh()
    assert.equal(refund.status, 'succeeded')
    assert.equal(refund.stripeRefundId, late.id)
    assert.equal(debit.status, 'succeeded')
    assert.equal(debit.stripeId, latePayment.id)
    await order.refresh()
    assert.equal(order.amountRefunded, 5000)
    const clean = await runCommand(StripeReconcile, [])
    clean.assertSucceeded()
  })

  test('settles pending orders whose authorization outcome was never recorded', async ({
    assert,
  }) => {
    const { employer, service } = await marketplace()
    // Stripe authorized it, but the answer was lost with the process
    const reached = await placeTestOrder(employer, service)
    const intentId = reached.stripePaymentIntentId!
    await Order.query()
      .where('id', reached.id)
      .update({ status: 'pending', stripePaymentIntentId: null, authorizedAt: null })
    // The process died before calling Stripe
    const lost = await Order.create({
      employerId: employer.id,
      contractorId: service.contractorId,
      serviceId: service.id,
      amount: 12000,
      currency: 'usd',
      applicationFeeAmount: 1200,
      status: 'pending',
      authorizationAttempts: 1,
    })
    await age('orders', [reached.id, lost.id])

    const report = await runCommand(StripeReconcile, [])
    report.assertExitCode(1)
    report.assertTableRows([
      [
        `order #${reached.id}`,
        'authorization outcome not recorded',
        'pending',
        `${intentId} requires_capture`,
        '--fix: settle the order from its PaymentIntent',
      ],
      [
        `order #${lost.id}`,
        'authorization never reached Stripe',
        'pending',
        'no PaymentIntent',
        '--fix: mark the order failed (nothing was held)',
      ],
    ])

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])
    fixed.assertSucceeded()
    await reached.refresh()
    await lost.refresh()
    assert.equal(reached.status, 'authorized')
    assert.equal(reached.stripePaymentIntentId, intentId)
    assert.equal(lost.status, 'failed')
    assert.equal(
      lost.failureMessage,
      'The card authorization never reached Stripe: nothing was held. Place the order again.'
    )
    const intents = await stripe().paymentIntents.list({ customer: await stripeIdOf(employer) })
    assert.lengthOf(intents.data, 1)
  })

  test('leaves what would move backwards to a person, and refuses unconfirmed fixes', async ({
    assert,
  }) => {
    const { employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)
    await Order.query().where('id', order.id).update({ status: 'captured', amountCaptured: 12000 })

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])

    fixed.assertExitCode(1)
    fixed.assertTableRows([
      [
        `order #${order.id}`,
        'status',
        'captured',
        `${order.stripePaymentIntentId} requires_capture`,
        'needs a person',
      ],
    ])
    await order.refresh()
    assert.equal(order.status, 'captured')
    const paymentIntent = await stripe().paymentIntents.retrieve(order.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'requires_capture')

    // A fixable drift, but nobody to confirm
    const other = await placeTestOrder(employer, service)
    await stripe().paymentIntents.cancel(other.stripePaymentIntentId!)
    const unconfirmed = await withoutTerminal(() => runCommand(StripeReconcile, ['--fix']))
    unconfirmed.assertExitCode(1)
    assert.deepEqual(errorsOf(unconfirmed), [
      '[ red(error) ] No terminal to confirm on: nothing was done. Re-run with --force to apply the fixes.',
    ])
    await other.refresh()
    assert.equal(other.status, 'authorized')

    const badDate = await runCommand(StripeReconcile, ['--since=last tuesday'])
    badDate.assertExitCode(1)
    assert.deepEqual(errorsOf(badDate), [
      '[ red(error) ] --since must be an ISO date, e.g. 2026-11-01 or 2026-11-01T08:00:00Z (got "last tuesday").',
    ])

    const future = await runCommand(StripeReconcile, ['--since=2999-01-01'])
    future.assertSucceeded()
    future.assertLog(
      '[ green(success) ] No drift: 0 order(s), 0 refund(s), 0 debit(s), 0 stored event(s) checked.'
    )
  })
})
