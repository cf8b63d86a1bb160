import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import db from '@adonisjs/lucid/services/db'
import { userInfo } from 'node:os'
import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import type User from '#models/user'
import Order from '#models/order'
import Payment from '#models/payment'
import Refund from '#models/refund'
import Transfer from '#models/transfer'
import TransferReversal from '#models/transfer_reversal'
import ContractorDebit from '#models/contractor_debit'
import PaymentEvent from '#models/payment_event'
import StripeEvent from '#models/stripe_event'
import StripeReconcile from '#commands/stripe_reconcile'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { actors } from '#domain/actor'
import { truncateAllTables } from '#tests/helpers/database'
import { followRedirect } from '#tests/helpers/http'
import {
  createActiveContractor,
  createEmployer,
  defaultCardOf,
  stripeIdOf,
  withStripeUnreachable,
  advanceSandboxClock,
} from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { acceptLine } from '#actions/orders/accept_line'
import { deliverLine } from '#actions/orders/deliver_line'
import { approveLines } from '#actions/orders/approve_line'
import { debitTransferGroup } from '#actions/contractors/debit_records'
import { sendTransfer } from '#actions/transfers/line_transfer'
import { authorizePayment } from '#actions/payments/authorize_payment'
import { PENDING_GRACE_MINUTES } from '#actions/reconcile/reconcile'
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

/** A hold captured from the console (an admin approves): line approved, payment succeeded */
async function capturedOrder(employer: User, service: Parameters<typeof placeTestOrder>[1]) {
  const order = await placeTestOrder(employer, service)
  await approveLines(order.id, null, actors.admin('test'))
  return stateOf(order)
}

/** A charge-flow order (two lines) with both lines delivered by the contractor */
async function deliveredChargeOrder(contractor: User, employer: User) {
  const first = await createService(contractor, { title: 'Kitchen repaint', price: 12000 })
  const second = await createService(contractor, { title: 'Hall repaint', price: 8000 })
  const order = await placeTestOrder(employer, [first, second])
  const { lines } = await stateOf(order)
  for (const line of lines) {
    await acceptLine(order.id, line.id, contractor)
    await deliverLine(order.id, line.id, contractor)
  }
  return order
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
async function age(table: 'payments' | 'refunds' | 'contractor_debits', ids: number[]) {
  await db
    .from(table)
    .whereIn('id', ids)
    .update({
      updated_at: DateTime.now()
        .minus({ minutes: PENDING_GRACE_MINUTES + 1 })
        .toJSDate(),
    })
}

/** The table rows a command printed, without the header */
function rowsOf(command: StripeReconcile) {
  return command.ui.logger
    .getLogs()
    .map((log) => log.message)
    .filter((line) => line.includes('|'))
}

/** Every PaymentIntent of a customer, all pages */
async function paymentIntentsOf(customer: string) {
  const all: Stripe.PaymentIntent[] = []
  for await (const paymentIntent of stripe().paymentIntents.list({ customer, limit: 100 })) {
    all.push(paymentIntent)
  }
  return all
}

/** A PaymentIntent the employer's card holds for this order, made as our authorization makes it */
async function holdOnStripe(order: Order, payment: Payment, employer: User, contractor: User) {
  return stripe().paymentIntents.create({
    amount: payment.amount,
    currency: payment.currency,
    customer: await stripeIdOf(employer),
    payment_method: await defaultCardOf(employer),
    allowed_payment_method_types: ['card'],
    capture_method: 'manual',
    confirm: true,
    off_session: true,
    application_fee_amount: payment.applicationFeeAmount!,
    transfer_data: { destination: await stripeIdOf(contractor) },
    metadata: { order_id: String(order.id), payment_id: String(payment.id) },
  })
}

test.group('stripe:reconcile', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('finds a payment changed behind the app’s back and moves it forward with --fix', async ({
    assert,
  }) => {
    const { employer, service } = await marketplace()
    const { order, payment, transfers } = await capturedOrder(employer, service)
    const subject = `payment #${payment.id} (order #${order.id})`
    // Someone "fixes" the rows by hand: the capture and the line's approval are gone
    await Payment.query()
      .where('id', payment.id)
      .update({ status: 'authorized', amountCaptured: 0, succeededAt: null })
    await db
      .from('order_lines')
      .where('order_id', order.id)
      .update({ status: 'delivered', approved_at: null })

    const report = await runCommand(StripeReconcile, [])

    report.assertExitCode(1)
    report.assertTableRows([
      ['Subject', 'Drift', 'Local', 'Stripe', 'Action'],
      [
        subject,
        'status',
        'authorized',
        `${payment.stripePaymentIntentId} succeeded`,
        '--fix: move the payment forward to match Stripe',
      ],
    ])
    report.assertLogMatches(/1 drift\(s\) \(1 payment\(s\).*; 1 can be fixed with --fix/)
    const untouched = await stateOf(order)
    assert.equal(untouched.payment.status, 'authorized')

    const json = await runCommand(StripeReconcile, ['--json'])
    json.assertExitCode(1)
    const listed = JSON.parse(outputOf(json)[0])
    assert.deepEqual(listed.drifts, [
      {
        subject,
        problem: 'status',
        local: 'authorized',
        stripe: `${payment.stripePaymentIntentId} succeeded`,
        fix: 'move the payment forward to match Stripe',
        fixed: false,
      },
    ])
    assert.deepEqual(listed.checked, {
      payments: 1,
      refunds: 0,
      // The destination charge's own transfer (kept by the hand edit)
      transfers: 1,
      debits: 0,
      events: 0,
      payment_intents: 1,
      disputes: 0,
    })

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])

    fixed.assertSucceeded()
    fixed.assertLogMatches(/1 drift\(s\): 1 fixed, 0 left for a person/)
    const after = await stateOf(order)
    assert.equal(after.payment.status, 'succeeded')
    assert.equal(after.payment.amountCaptured, 12000)
    assert.equal(after.line.status, 'approved')
    assert.lengthOf(after.transfers, 1)
    assert.equal(after.transfers[0].stripeTransferId, transfers[0].stripeTransferId)
    const moved = await PaymentEvent.query()
      .where('paymentId', payment.id)
      .where('type', 'payment.succeeded')
      .orderBy('id', 'desc')
      .firstOrFail()
    assert.equal(moved.actor, ACTOR)
    assert.equal(moved.fromStatus, 'authorized')

    const clean = await runCommand(StripeReconcile, [])
    clean.assertSucceeded()
    clean.assertLogMatches(/No drift: 1 payment\(s\)/)
  })

  test('records a capture and a refund made on Stripe directly', async ({ assert }) => {
    const { employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)
    const { payment } = await stateOf(order)
    const paymentIntentId = payment.stripePaymentIntentId!
    await stripe().paymentIntents.capture(paymentIntentId)
    const dashboardRefund = await stripe().refunds.create({
      payment_intent: paymentIntentId,
      amount: 2000,
      reason: 'duplicate',
    })
    const subject = `payment #${payment.id} (order #${order.id})`

    // The payment is still authorized here: the report checks its refunds all the same (from the
    // PaymentIntent), so the fixes confirmed are the fixes applied
    const fixed = await runCommand(StripeReconcile, ['--fix'], (command) => {
      command.prompt.trap('Apply 3 fix(es)?').accept()
    })

    fixed.assertSucceeded()
    fixed.assertLogMatches(/3 drift\(s\): 3 fixed, 0 left for a person/)
    fixed.assertTableRows([
      [
        subject,
        'status',
        'authorized',
        `${paymentIntentId} succeeded`,
        'fixed: move the payment forward to match Stripe',
      ],
      [
        `refund ${dashboardRefund.id} (order #${order.id})`,
        'made on Stripe, no local record',
        'none',
        '$20.00 succeeded',
        'fixed: record it',
      ],
      [
        subject,
        'refunded amount',
        '$0.00',
        '$20.00',
        'fixed: take Stripe’s total (as charge.refunded does)',
      ],
    ])
    const after = await stateOf(order)
    assert.equal(after.payment.status, 'partially_refunded')
    assert.equal(after.payment.amountCaptured, 12000)
    assert.equal(after.payment.amountRefunded, 2000)
    assert.equal(after.line.status, 'approved')
    assert.lengthOf(after.transfers, 1)
    assert.match(after.transfers[0].stripeTransferId!, /^tr_/)
    const recorded = await Refund.findByOrFail('paymentId', payment.id)
    assert.equal(recorded.stripeRefundId, dashboardRefund.id)
    assert.equal(recorded.status, 'succeeded')
    assert.equal(recorded.amount, 2000)
    assert.equal(recorded.reason, 'duplicate')
    assert.equal(recorded.initiatedBy, 'stripe')
    // Every change after the authorization was made by the reconciliation, and audited as such
    const timeline = await PaymentEvent.query().where('orderId', order.id).orderBy('id')
    assert.deepEqual(
      timeline.slice(0, 2).map((event) => [event.type, event.actor]),
      [
        ['order.placed', `user:${employer.id}`],
        ['payment.authorized', `user:${employer.id}`],
      ]
    )
    const types = timeline.slice(2).map((event) => event.type)
    for (const type of [
      'payment.succeeded',
      'line.approved',
      'transfer.paid',
      'refund.recorded',
      'payment.partially_refunded',
    ]) {
      assert.include(types, type)
    }
    assert.isTrue(timeline.slice(2).every((event) => event.actor === ACTOR))
    // Nothing was sent to Stripe on the way
    assert.lengthOf(await stripeRefundsOf(paymentIntentId), 1)

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
    // A capture (or a debit) in progress holds the order's, its payment's and the contractor's rows
    const holder = await db.transaction()
    await holder.from('orders').where('id', order.id).forUpdate().first()
    await holder.from('payments').where('order_id', order.id).forUpdate()
    await holder.from('user_profiles').where('user_id', contractor.id).forUpdate().first()

    const report = runCommand(StripeReconcile, [])
    const finished = await Promise.race([
      report.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000)),
    ])
    await holder.commit()

    assert.isTrue(finished)
    const done = await report
    // The owed debit is a note, not a drift
    done.assertSucceeded()
  })

  test('applies stored webhook events that were never processed, first', async ({ assert }) => {
    const { employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)
    const { payment } = await stateOf(order)
    await stripe().paymentIntents.capture(payment.stripePaymentIntentId!)
    const succeeded = await sandboxEvent('payment_intent.succeeded', payment.stripePaymentIntentId!)
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
        `payment #${payment.id} (order #${order.id})`,
        'status',
        'authorized',
        `${payment.stripePaymentIntentId} succeeded`,
        '--fix: move the payment forward to match Stripe',
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
    const after = await stateOf(order)
    assert.equal(after.payment.status, 'succeeded')
    assert.equal(after.payment.amountCaptured, 12000)
    assert.equal(after.line.status, 'approved')
    assert.match(after.transfers[0]?.stripeTransferId ?? '', /^tr_/)
    const captured = await PaymentEvent.query()
      .where('paymentId', payment.id)
      .where('type', 'payment.succeeded')
      .firstOrFail()
    // The event moved it, not the payment check that came after
    assert.equal(captured.actor, `webhook:${succeeded.id}`)
  })

  test('a stored event that can never be applied (no object) is set aside, not reported forever', async ({
    assert,
  }) => {
    const { employer, service } = await marketplace()
    await placeTestOrder(employer, service)
    const empty = {
      id: 'evt_test_empty_object',
      object: 'event',
      type: 'payment_intent.succeeded',
      livemode: false,
      data: { object: null },
    } as unknown as Stripe.Event
    await storeUnprocessed(empty, "Cannot read properties of null (reading 'id')")

    const report = await runCommand(StripeReconcile, [])
    report.assertExitCode(1)
    assert.lengthOf(
      rowsOf(report).filter((row) => row.includes('evt_test_empty_object')),
      1
    )

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])
    fixed.assertSucceeded()
    // The table of what was done comes last
    const row = rowsOf(fixed)
      .filter((line) => line.includes('evt_test_empty_object'))
      .at(-1)!
    assert.match(row, /fixed: set it aside \(malformed: .*no data\.object\)/)
    const stored = await StripeEvent.findByOrFail('stripeEventId', empty.id)
    assert.isNotNull(stored.processedAt)
    assert.match(stored.processingError!, /malformed/i)

    const clean = await runCommand(StripeReconcile, [])
    clean.assertSucceeded()
  })

  test('closes pending rows that never reached Stripe and records those that did', async ({
    assert,
  }) => {
    const { contractor, employer, service } = await marketplace('pm_card_bypassPending')
    const { order, payment } = await capturedOrder(employer, service)
    const paymentIntentId = payment.stripePaymentIntentId!
    const pendingRow = (amount: number) =>
      Refund.create({
        orderId: order.id,
        paymentId: payment.id,
        cause: 'admin',
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
      payment_intent: paymentIntentId,
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
    const debitCharge = await stripe().charges.create({
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
    fixed.assertLogMatches(
      new RegExp(`refund #${young.id} \\(order #${order.id}\\): pending .*left alone`)
    )
    fixed.assertLogMatches(new RegExp(`debit #${youngDebit.id}: pending .*left alone`))
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
        `${debitCharge.id} succeeded`,
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
    assert.equal(arrivedDebit.stripeId, debitCharge.id)
    const after = await stateOf(order)
    assert.equal(after.payment.amountRefunded, 2000)
    assert.equal(after.payment.status, 'partially_refunded')
    // Nothing new was sent to Stripe
    assert.lengthOf(await stripeRefundsOf(paymentIntentId), 1)
    const lostCharges = await stripe().charges.list({
      transfer_group: debitTransferGroup(lostDebit),
    })
    assert.lengthOf(lostCharges.data, 0)
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
    const { order, payment } = await capturedOrder(employer, service)
    const refund = await Refund.create({
      orderId: order.id,
      paymentId: payment.id,
      cause: 'admin',
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
        payment_intent: payment.stripePaymentIntentId!,
        amount: 5000,
        reverse_transfer: true,
        refund_application_fee: true,
        metadata: { crewpay_refund: refund.reference },
      },
      { idempotencyKey: idempotencyKey('refund', refund, 'create') }
    )
    const lateCharge = await stripe().charges.create(
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
        `payment #${payment.id} (order #${order.id})`,
        'refunded amount',
        '$0.00',
        '$50.00',
        '--fix: take Stripe’s total (as charge.refunded does)',
      ],
      [
        `debit #${debit.id}`,
        'failed locally, exists on Stripe',
        'failed $7.00',
        `${lateCharge.id} succeeded`,
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
    assert.equal(debit.stripeId, lateCharge.id)
    const after = await stateOf(order)
    assert.equal(after.payment.amountRefunded, 5000)
    assert.equal(after.payment.status, 'partially_refunded')
    const clean = await runCommand(StripeReconcile, [])
    clean.assertSucceeded()
  })

  test('settles pending payments whose authorization outcome was never recorded', async ({
    assert,
  }) => {
    const { employer, service } = await marketplace()
    // Stripe authorized it, but the answer was lost with the process
    const reached = await placeTestOrder(employer, service)
    const { payment: reachedPayment } = await stateOf(reached)
    const intentId = reachedPayment.stripePaymentIntentId!
    await Payment.query()
      .where('id', reachedPayment.id)
      .update({ status: 'pending', stripePaymentIntentId: null, authorizedAt: null })
    // The request never reached Stripe
    const lost = await withStripeUnreachable(() => placeTestOrder(employer, service))
    const { payment: lostPayment } = await stateOf(lost)
    assert.equal(lostPayment.status, 'pending')
    await age('payments', [reachedPayment.id, lostPayment.id])

    const report = await runCommand(StripeReconcile, [])
    report.assertExitCode(1)
    // The hold is reported once, as the pending payment's, never as an orphan to cancel
    report.assertTableRows([
      ['Subject', 'Drift', 'Local', 'Stripe', 'Action'],
      [
        `payment #${reachedPayment.id} (order #${reached.id})`,
        'authorization outcome not recorded',
        'pending',
        `${intentId} requires_capture`,
        '--fix: settle the payment from its PaymentIntent',
      ],
      [
        `payment #${lostPayment.id} (order #${lost.id})`,
        'authorization never reached Stripe',
        'pending',
        'no PaymentIntent',
        '--fix: mark the payment failed (nothing was held)',
      ],
    ])

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])
    fixed.assertSucceeded()
    const settled = await stateOf(reached)
    assert.equal(settled.payment.status, 'authorized')
    assert.equal(settled.payment.stripePaymentIntentId, intentId)
    assert.equal(settled.line.status, 'requested')
    const closed = await stateOf(lost)
    assert.equal(closed.payment.status, 'failed')
    assert.match(closed.payment.failureMessage!, /never reached Stripe: nothing was charged/)
    assert.equal(closed.line.status, 'canceled')
    const intents = await paymentIntentsOf(await stripeIdOf(employer))
    assert.lengthOf(intents, 1)
    assert.equal(intents[0].status, 'requires_capture')
  })

  test('leaves what would move backwards to a person, and refuses unconfirmed fixes', async ({
    assert,
  }) => {
    const { employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)
    const { payment } = await stateOf(order)
    await Payment.query()
      .where('id', payment.id)
      .update({ status: 'succeeded', amountCaptured: 12000 })

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])

    fixed.assertExitCode(1)
    // Stripe still holds it: the payment is not moved back, and its line is not paid out either
    fixed.assertTableRows([
      [
        `payment #${payment.id} (order #${order.id})`,
        'status',
        'succeeded',
        `${payment.stripePaymentIntentId} requires_capture`,
        'needs a person',
      ],
    ])
    const after = await stateOf(order)
    assert.equal(after.payment.status, 'succeeded')
    assert.equal(after.line.status, 'requested')
    assert.lengthOf(after.transfers, 0)
    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'requires_capture')

    // A fixable drift, but nobody to confirm
    const other = await placeTestOrder(employer, service)
    const { payment: otherPayment } = await stateOf(other)
    await stripe().paymentIntents.cancel(otherPayment.stripePaymentIntentId!)
    const unconfirmed = await withoutTerminal(() => runCommand(StripeReconcile, ['--fix']))
    unconfirmed.assertExitCode(1)
    const [refusal] = errorsOf(unconfirmed)
    assert.include(refusal, 'No terminal to confirm on: nothing was done')
    assert.include(refusal, '--force')
    const otherAfter = await stateOf(other)
    assert.equal(otherAfter.payment.status, 'authorized')

    const badDate = await runCommand(StripeReconcile, ['--since=last tuesday'])
    badDate.assertExitCode(1)
    const [dateError] = errorsOf(badDate)
    assert.include(dateError, '--since must be an ISO date')
    assert.include(dateError, '"last tuesday"')

    const future = await runCommand(StripeReconcile, ['--since=2999-01-01'])
    future.assertSucceeded()
    future.assertLogMatches(
      /No drift: 0 payment\(s\), 0 refund\(s\), 0 transfer\(s\), 0 debit\(s\)/
    )
  })

  test('a transfer whose answer was lost is recorded, one never sent is sent, each once', async ({
    assert,
  }) => {
    const { contractor, employer } = await marketplace()
    const order = await deliveredChargeOrder(contractor, employer)
    const { lines, payment } = await stateOf(order)
    assert.equal(payment.flow, 'charge')
    assert.equal(payment.status, 'succeeded')
    // Both approvals are written, but Stripe cannot be reached to send the transfers
    await withStripeUnreachable(() =>
      approveLines(order.id, null, actors.party('employer', employer.id))
    )
    const { transfers: pending } = await stateOf(order)
    assert.deepEqual(
      pending.map((transfer) => [transfer.orderLineId, transfer.status, transfer.amount]),
      [
        [lines[0].id, 'pending', 10800],
        [lines[1].id, 'pending', 7200],
      ]
    )
    const [neverSent, answerLost] = pending
    // The second one did reach Stripe (its own key); only the answer was lost
    const madeOnStripe = await sendTransfer.send(answerLost, sendTransfer.key(answerLost))

    const report = await runCommand(StripeReconcile, [])
    report.assertExitCode(1)
    report.assertTableRows([
      ['Subject', 'Drift', 'Local', 'Stripe', 'Action'],
      [
        `transfer #${neverSent.id} (order #${order.id})`,
        'not sent to Stripe yet',
        'pending $108.00',
        'no transfer',
        '--fix: send it (its own key)',
      ],
      [
        `transfer #${answerLost.id} (order #${order.id})`,
        'outcome not recorded',
        'pending $72.00',
        `${madeOnStripe.id} $72.00`,
        "--fix: record Stripe's transfer",
      ],
    ])
    assert.deepEqual(
      JSON.parse(outputOf(await runCommand(StripeReconcile, ['--json']))[0]).checked,
      {
        payments: 1,
        refunds: 0,
        transfers: 2,
        debits: 0,
        events: 0,
        payment_intents: 1,
        disputes: 0,
      }
    )

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])
    fixed.assertSucceeded()
    fixed.assertLogMatches(/2 drift\(s\): 2 fixed, 0 left for a person/)

    const { transfers } = await stateOf(order)
    assert.deepEqual(
      transfers.map((transfer) => transfer.status),
      ['paid', 'paid']
    )
    assert.equal(transfers[1].stripeTransferId, madeOnStripe.id)
    const onStripe = await stripe().transfers.list({ destination: await stripeIdOf(contractor) })
    assert.sameMembers(
      onStripe.data.map((transfer) => [transfer.id, transfer.amount].join(' ')),
      transfers.map((transfer) => [transfer.stripeTransferId, transfer.amount].join(' '))
    )
    assert.equal(onStripe.data.find((t) => t.id === transfers[0].stripeTransferId)?.amount, 10800)
    const paid = await PaymentEvent.query()
      .where('orderId', order.id)
      .where('type', 'transfer.paid')
    assert.lengthOf(paid, 2)

    // Run again: nothing to do, nothing sent twice
    const clean = await runCommand(StripeReconcile, ['--fix', '--force'])
    clean.assertSucceeded()
    const after = await stripe().transfers.list({ destination: await stripeIdOf(contractor) })
    assert.lengthOf(after.data, 2)
  })

  test('a transfer reversed on Stripe directly: --fix takes Stripe’s reversed total', async ({
    assert,
  }) => {
    const { contractor, employer } = await marketplace()
    const order = await deliveredChargeOrder(contractor, employer)
    await approveLines(order.id, null, actors.party('employer', employer.id))
    const {
      transfers: [first, second],
    } = await stateOf(order)
    assert.equal(first.status, 'paid')
    // A separate transfer is reversed from available funds: two days on
    await advanceSandboxClock(2 * 86_400 + 60)
    await stripe().transfers.createReversal(first.stripeTransferId!, { amount: 1500 })
    // And the second one's row says more came back than Stripe shows
    await Transfer.query().where('id', second.id).update({ amountReversed: 900 })

    const report = await runCommand(StripeReconcile, [])
    report.assertExitCode(1)
    report.assertTableRows([
      ['Subject', 'Drift', 'Local', 'Stripe', 'Action'],
      [
        `transfer #${first.id} (order #${order.id})`,
        'amount reversed',
        '$0.00',
        '$15.00',
        "--fix: take Stripe's total",
      ],
      [
        `transfer #${second.id} (order #${order.id})`,
        'amount reversed',
        '$9.00',
        '$0.00',
        'needs a person',
      ],
    ])

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])
    fixed.assertExitCode(1)
    fixed.assertLogMatches(/2 drift\(s\): 1 fixed, 1 left for a person/)
    await first.refresh()
    await second.refresh()
    assert.equal(first.amountReversed, 1500)
    assert.equal(second.amountReversed, 900)
    const audited = await PaymentEvent.query()
      .where('transferId', first.id)
      .where('type', 'transfer.reversed')
      .firstOrFail()
    assert.equal(audited.amount, 1500)
    assert.equal(audited.actor, ACTOR)
  })

  test('a reversal of ours whose answer was lost is counted once when --fix also takes Stripe’s total', async ({
    assert,
  }) => {
    const { contractor, employer } = await marketplace()
    const order = await deliveredChargeOrder(contractor, employer)
    await approveLines(order.id, null, actors.party('employer', employer.id))
    const {
      transfers: [first],
    } = await stateOf(order)
    await advanceSandboxClock(2 * 86_400 + 60)
    // Our reversal reached Stripe but its answer was never recorded (the row is still pending)
    const ours = await TransferReversal.create({
      transferId: first.id,
      amount: 1000,
      currency: first.currency,
      status: 'pending',
      initiatedBy: 'admin:test',
    })
    await stripe().transfers.createReversal(first.stripeTransferId!, {
      amount: 1000,
      metadata: { crewpay_reversal: ours.reference },
    })
    // And someone reversed more on the Dashboard
    await stripe().transfers.createReversal(first.stripeTransferId!, { amount: 500 })

    await runCommand(StripeReconcile, ['--fix', '--force'])
    await first.refresh()
    await ours.refresh()
    assert.equal(ours.status, 'succeeded')
    // Stripe's 15.00 in all, not 15.00 + our 10.00 again
    assert.equal(first.amountReversed, 1500)
    const lines = await PaymentEvent.query()
      .where('transferId', first.id)
      .where('type', 'transfer.reversed')
    assert.equal(
      lines.reduce((sum, line) => sum + (line.amount ?? 0), 0),
      1500
    )
  })

  test('a destination charge refunded on Stripe with its transfer reversed: --fix takes Stripe’s reversed total', async ({
    assert,
  }) => {
    const { employer, service } = await marketplace()
    const { order, payment, transfers } = await capturedOrder(employer, service)
    const [transfer] = transfers
    assert.equal(transfer.kind, 'destination')
    // A refund made on Stripe's Dashboard, its charge.refunded never delivered
    await stripe().refunds.create({
      payment_intent: payment.stripePaymentIntentId!,
      amount: 3000,
      reverse_transfer: true,
    })

    const report = await runCommand(StripeReconcile, [])
    report.assertExitCode(1)
    const drift = rowsOf(report).find((row) =>
      row.includes(`transfer #${transfer.id} (order #${order.id})`)
    )
    assert.match(drift ?? '', /amount reversed.*\$0\.00.*\$30\.00.*take Stripe's total/)

    await runCommand(StripeReconcile, ['--fix', '--force'])
    await transfer.refresh()
    assert.equal(transfer.amountReversed, 3000)
    const onStripe = await stripe().transfers.retrieve(transfer.stripeTransferId!)
    assert.equal(onStripe.amount_reversed, 3000)
  })

  test('a live hold no record of ours owns is canceled with --fix; a collected payment needs a person', async ({
    assert,
  }) => {
    const { contractor, employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)
    const { payment } = await stateOf(order)
    const customer = await stripeIdOf(employer)
    // A hold our records know nothing of (an answer lost for a row that is gone)
    const orphanHold = await stripe().paymentIntents.create({
      amount: 4500,
      currency: 'usd',
      customer,
      payment_method: await defaultCardOf(employer),
      allowed_payment_method_types: ['card'],
      capture_method: 'manual',
      confirm: true,
      off_session: true,
      transfer_data: { destination: await stripeIdOf(contractor) },
      metadata: { order_id: '424242' },
    })
    const orphanCharge = await stripe().paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      customer,
      payment_method: await defaultCardOf(employer),
      allowed_payment_method_types: ['card'],
      confirm: true,
      off_session: true,
    })
    // Never confirmed: holds nothing
    await stripe().paymentIntents.create({ amount: 1000, currency: 'usd', customer })

    const report = await runCommand(StripeReconcile, [])
    report.assertExitCode(1)
    report.assertTableRows([
      ['Subject', 'Drift', 'Local', 'Stripe', 'Action'],
      [
        `PaymentIntent ${orphanCharge.id}`,
        'no record of ours owns it',
        'none',
        '$30.00 succeeded',
        'needs a person',
      ],
      [
        `PaymentIntent ${orphanHold.id}`,
        'no record of ours owns it',
        'none',
        '$45.00 requires_capture (order #424242)',
        '--fix: cancel the orphan hold',
      ],
    ])

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])
    fixed.assertExitCode(1)
    fixed.assertLogMatches(/2 drift\(s\): 1 fixed, 1 left for a person/)
    const released = await stripe().paymentIntents.retrieve(orphanHold.id)
    assert.equal(released.status, 'canceled')
    assert.equal(released.cancellation_reason, 'abandoned')
    const charged = await stripe().paymentIntents.retrieve(orphanCharge.id)
    assert.equal(charged.status, 'succeeded')
    // Our own hold is untouched
    const ours = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(ours.status, 'requires_capture')
    const after = await stateOf(order)
    assert.equal(after.payment.status, 'authorized')

    const again = await runCommand(StripeReconcile, [])
    again.assertExitCode(1)
    assert.lengthOf(
      rowsOf(again).filter((row) => row.includes(orphanCharge.id)),
      1
    )
    assert.lengthOf(
      rowsOf(again).filter((row) => row.includes(orphanHold.id)),
      0
    )
  })

  test('a second hold carrying the id of a payment that already has its own is an orphan: --fix releases it', async ({
    assert,
  }) => {
    const { contractor, employer, service } = await marketplace()
    const order = await placeTestOrder(employer, service)
    const { payment } = await stateOf(order)
    assert.equal(payment.status, 'authorized')
    // What the audit saw: a retry that placed a second hold for the same payment
    const second = await stripe().paymentIntents.create({
      amount: payment.amount,
      currency: 'usd',
      customer: await stripeIdOf(employer),
      payment_method: await defaultCardOf(employer),
      allowed_payment_method_types: ['card'],
      capture_method: 'manual',
      confirm: true,
      off_session: true,
      transfer_data: { destination: await stripeIdOf(contractor) },
      metadata: { payment_id: String(payment.id), order_id: String(order.id) },
    })

    const report = await runCommand(StripeReconcile, [])
    report.assertExitCode(1)
    const flagged = rowsOf(report).filter((row) => row.includes(second.id))
    assert.lengthOf(flagged, 1)
    assert.include(flagged[0], 'no record of ours owns it')

    const fixed = await runCommand(StripeReconcile, ['--fix', '--force'])
    fixed.assertExitCode(0)
    const released = await stripe().paymentIntents.retrieve(second.id)
    assert.equal(released.status, 'canceled')
    // The payment's own hold stays, and so does the payment
    const ours = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(ours.status, 'requires_capture')
    const { payment: after } = await stateOf(order)
    assert.equal(after.status, 'authorized')
  })
})

test.group('Try again after a lost authorization answer', (group) => {
  group.each.setup(() => truncateAllTables())

  test('finds the earlier hold behind a hundred newer PaymentIntents: never a second hold', async ({
    client,
    assert,
  }) => {
    const { contractor, employer, service } = await marketplace()
    await withStripeUnreachable(() =>
      client.post('/orders').loginAs(employer).withCsrfToken().form({ service_id: service.id })
    )
    const { order, payment } = await stateOf(await Order.firstOrFail())
    assert.equal(payment.status, 'pending')
    // The first request did reach Stripe (long enough ago that its key is no help), only its
    // answer was lost; then the employer's card was used for 101 other PaymentIntents
    const first = await holdOnStripe(order, payment, employer, contractor)
    const customer = await stripeIdOf(employer)
    for (let i = 0; i < 101; i++) {
      await stripe().paymentIntents.create({ amount: 100 + i, currency: 'usd', customer })
    }
    const firstPage = await stripe().paymentIntents.list({ customer, limit: 100 })
    assert.notInclude(
      firstPage.data.map((paymentIntent) => paymentIntent.id),
      first.id
    )

    const retry = await client
      .post(`/orders/${order.id}/retry`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)
    retry.assertStatus(302)
    const page = await followRedirect(client, retry)
    page.assertTextIncludes('authorized for $120.00')

    const after = await stateOf(order)
    assert.lengthOf(after.payments, 1)
    assert.equal(after.payment.status, 'authorized')
    assert.equal(after.payment.stripePaymentIntentId, first.id)
    const intents = await paymentIntentsOf(customer)
    const held = intents.filter(
      (paymentIntent) =>
        paymentIntent.metadata.order_id === String(order.id) &&
        ['requires_capture', 'succeeded', 'processing'].includes(paymentIntent.status)
    )
    assert.deepEqual(
      held.map((paymentIntent) => paymentIntent.id),
      [first.id]
    )
  })

  test('a request that reached Stripe with its own key is answered once when sent again', async ({
    client,
    assert,
  }) => {
    const { employer, service } = await marketplace()
    await withStripeUnreachable(() =>
      client.post('/orders').loginAs(employer).withCsrfToken().form({ service_id: service.id })
    )
    const { order, payment } = await stateOf(await Order.firstOrFail())
    // The payment's own request reached Stripe; the answer was lost
    const first = await authorizePayment.send(payment, authorizePayment.key(payment))
    const customer = await stripeIdOf(employer)
    for (let i = 0; i < 101; i++) {
      await stripe().paymentIntents.create({ amount: 100 + i, currency: 'usd', customer })
    }

    await client.post(`/orders/${order.id}/retry`).loginAs(employer).withCsrfToken()

    const after = await stateOf(order)
    assert.equal(after.payment.status, 'authorized')
    assert.equal(after.payment.stripePaymentIntentId, first.id)
    const intents = await paymentIntentsOf(customer)
    const held = intents.filter(
      (paymentIntent) => paymentIntent.metadata.order_id === String(order.id)
    )
    assert.deepEqual(
      held.map((paymentIntent) => [paymentIntent.id, paymentIntent.status]),
      [[first.id, 'requires_capture']]
    )
  })
})
