import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import { userInfo } from 'node:os'
import PaymentEvent from '#models/payment_event'
import OrdersCapture from '#commands/orders_capture'
import OrdersCancel from '#commands/orders_cancel'
import OrdersList from '#commands/orders_list'
import OrdersShow from '#commands/orders_show'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor, createEmployer } from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { acceptLine } from '#actions/orders/accept_line'
import { previewCapture } from '#actions/payments/preview_capture'
import { DomainError } from '#exceptions/domain_error'
import {
  chargeOf,
  contractorBalance,
  errorsOf,
  outputOf,
  runCommand,
  withoutTerminal,
} from '#tests/functional/console_helpers'
import { withStripeUnreachable } from '#tests/helpers/stripe'

const ACTOR = `console:${userInfo().username}`

async function heldOrder(price = 12000, card?: string) {
  const contractor = await createActiveContractor({ email: 'carla@example.com' })
  const employer = await createEmployer({ email: 'erin@example.com' }, card)
  const service = await createService(contractor, { price })
  const order = await placeTestOrder(employer, service)
  const { payment } = await stateOf(order)
  return { contractor, employer, service, order, payment }
}

async function chargeCapturedEvents(chargeId: string) {
  const events = await stripe().events.list({ type: 'charge.captured', limit: 100 })
  return events.data.filter((event) => (event.data.object as { id: string }).id === chargeId)
}

test.group('orders:capture', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('captures the whole hold: Stripe, the contractor and the platform fee to the cent', async ({
    assert,
  }) => {
    const { contractor, order, payment: held } = await heldOrder(12000)

    const command = await runCommand(OrdersCapture, [`#${order.id}`, '--force'])

    command.assertSucceeded()
    command.assertLog(
      `[ green(success) ] Order #${order.id} captured: $120.00 charged, platform fee $12.00, ` +
        `the contractor receives $108.00 (${held.stripePaymentIntentId}).`
    )
    const { line, payment, transfers } = await stateOf(order)
    assert.equal(payment.status, 'succeeded')
    assert.equal(payment.amountCaptured, 12000)
    assert.equal(payment.applicationFeeAmount, 1200)
    assert.isNull(payment.pendingAction)
    // An admin's capture pays the contractor: the line is approved
    assert.equal(line.status, 'approved')
    assert.match(transfers[0].stripeTransferId!, /^tr_/)

    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'succeeded')
    assert.equal(paymentIntent.amount_received, 12000)
    const { fee, transfer } = await chargeOf(payment.stripeChargeId!)
    assert.equal(fee?.amount, 1200)
    assert.equal(transfer?.amount, 12000)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 10800 })

    const captured = await PaymentEvent.query()
      .where('orderId', order.id)
      .where('type', 'payment.succeeded')
      .firstOrFail()
    assert.equal(captured.actor, ACTOR)
    assert.equal(captured.amount, 12000)
    assert.equal(captured.stripeId, payment.stripePaymentIntentId)
  })

  test('captures part of the hold: the fee is recomputed, the rest released', async ({
    assert,
  }) => {
    const { contractor, order } = await heldOrder(12000)

    const command = await runCommand(OrdersCapture, [String(order.id), '--amount=50.05', '--force'])

    command.assertSucceeded()
    command.assertLog(
      '[ blue(info) ] Capture $50.05 and release the other $69.95: platform fee $5.01, ' +
        'the contractor receives $45.04.'
    )
    command.assertLogMatches(/captured: \$50\.05 charged, platform fee \$5\.01/)
    const { payment } = await stateOf(order)
    assert.equal(payment.amountCaptured, 5005)
    // 10% of 5005 = 500.5, rounded half up
    assert.equal(payment.applicationFeeAmount, 501)
    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(paymentIntent.amount_received, 5005)
    assert.equal(paymentIntent.amount_capturable, 0)
    const { fee } = await chargeOf(payment.stripeChargeId!)
    assert.equal(fee?.amount, 501)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 4504 })
  })

  test('a second capture is refused and leaves Stripe untouched', async ({ assert }) => {
    const { order } = await heldOrder()
    const first = await runCommand(OrdersCapture, [String(order.id), '--force'])
    first.assertSucceeded()

    const again = await runCommand(OrdersCapture, [String(order.id), '--force'])

    again.assertExitCode(1)
    assert.deepEqual(errorsOf(again), [
      `[ red(error) ] Cannot capture order #${order.id}: it was already captured.`,
    ])
    const { payment } = await stateOf(order)
    assert.lengthOf(await chargeCapturedEvents(payment.stripeChargeId!), 1)
    const captures = await PaymentEvent.query()
      .where('orderId', order.id)
      .where('type', 'payment.succeeded')
    assert.lengthOf(captures, 1)
  })

  test('Stripe unreachable: the capture is refused honestly and a re-run captures once', async ({
    assert,
  }) => {
    const { contractor, order } = await heldOrder(12000)

    const unreachable = await withStripeUnreachable(() =>
      runCommand(OrdersCapture, [String(order.id), '--force'])
    )

    unreachable.assertExitCode(1)
    assert.deepEqual(errorsOf(unreachable), [
      '[ red(error) ] Stripe did not answer, so the capture may or may not have happened. Run ' +
        'the same command again: it happens once, however many times it is tried.',
    ])
    const { payment: pending } = await stateOf(order)
    assert.equal(pending.status, 'authorized')
    assert.equal(pending.pendingAction, 'capture')

    const rerun = await runCommand(OrdersCapture, [String(order.id), '--force'])
    rerun.assertSucceeded()
    const { payment } = await stateOf(order)
    assert.equal(payment.status, 'succeeded')
    assert.lengthOf(await chargeCapturedEvents(payment.stripeChargeId!), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 10800 })
  })

  test('asks before capturing; a "no" changes nothing', async ({ assert }) => {
    const { order } = await heldOrder()

    const declined = await runCommand(OrdersCapture, [String(order.id)], (command) => {
      command.prompt.trap(`Capture $120.00 on order #${order.id}?`).reject()
    })
    declined.assertExitCode(1)
    assert.deepEqual(errorsOf(declined), ['[ red(error) ] Not confirmed: nothing was done.'])
    const { payment: untouched } = await stateOf(order)
    assert.equal(untouched.status, 'authorized')
    assert.isNull(untouched.pendingAction)
    const held = await stripe().paymentIntents.retrieve(untouched.stripePaymentIntentId!)
    assert.equal(held.status, 'requires_capture')

    const accepted = await runCommand(OrdersCapture, [String(order.id)], (command) => {
      command.prompt.trap(`Capture $120.00 on order #${order.id}?`).accept()
    })
    accepted.assertSucceeded()
    const { payment: captured } = await stateOf(order)
    assert.equal(captured.status, 'succeeded')
  })

  test('without a terminal and without --force it refuses in one line', async ({ assert }) => {
    const { order } = await heldOrder()

    const command = await withoutTerminal(() => runCommand(OrdersCapture, [String(order.id)]))

    command.assertExitCode(1)
    assert.deepEqual(errorsOf(command), [
      '[ red(error) ] No terminal to confirm on: nothing was done. Re-run with --force to capture.',
    ])
    const { payment } = await stateOf(order)
    assert.equal(payment.status, 'authorized')
    const held = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(held.status, 'requires_capture')
  })

  test('refuses bad amounts, more than the hold and unknown orders, in one line each', async ({
    assert,
  }) => {
    const { order } = await heldOrder(12000)
    const cases: [string[], string][] = [
      [[String(order.id), '--amount=-5'], 'The amount cannot be negative.'],
      [[String(order.id), '--amount=1.234'], 'USD amounts have at most 2 decimals.'],
      [[String(order.id), '--amount=abc'], '"abc" is not an amount (write it like 12.50).'],
      [[String(order.id), '--amount=0'], 'The amount must be more than zero.'],
      [
        [String(order.id), '--amount=120.01'],
        `Cannot capture $120.01: the hold on order #${order.id} is $120.00.`,
      ],
      [['999999'], 'Order #999999 does not exist.'],
      [['pi_doesnotexist'], 'No order has the PaymentIntent pi_doesnotexist.'],
      [
        ['twelve'],
        '"twelve" is not an order: give its number (42 or #42) or its PaymentIntent id (pi_…).',
      ],
    ]
    for (const [argv, message] of cases) {
      const command = await runCommand(OrdersCapture, [...argv, '--force'])
      command.assertExitCode(1)
      assert.deepEqual(errorsOf(command), [`[ red(error) ] ${message}`], argv.join(' '))
    }
    // The action says it the same way to any caller
    await assert.rejects(
      () => previewCapture(order, 12001),
      DomainError,
      `Cannot capture $120.01: the hold on order #${order.id} is $120.00.`
    )
    const { payment } = await stateOf(order)
    assert.equal(payment.status, 'authorized')
    assert.isNull(payment.pendingAction)
    const held = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(held.status, 'requires_capture')
  })

  test('amounts are read in the order’s currency: no decimals in JPY', async ({ assert }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const service = await createService(contractor, { price: 5000, currency: 'jpy' })
    const order = await placeTestOrder(employer, service)

    const decimals = await runCommand(OrdersCapture, [String(order.id), '--amount=12.5', '--force'])
    decimals.assertExitCode(1)
    assert.deepEqual(errorsOf(decimals), [
      '[ red(error) ] JPY has no decimals: write a whole number.',
    ])

    const whole = await runCommand(OrdersCapture, [String(order.id), '--amount=3000', '--force'])
    whole.assertSucceeded()
    whole.assertLogMatches(/captured: ¥3,000 charged, platform fee ¥300/)
    const { payment } = await stateOf(order)
    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(paymentIntent.amount_received, 3000)
  })
})

test.group('orders:cancel', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('releases the hold with the reason given; a second run is refused', async ({ assert }) => {
    const { contractor, order, payment: held } = await heldOrder()
    await acceptLine(order.id, null, contractor)

    const command = await runCommand(OrdersCancel, [
      String(order.id),
      '--reason=fraudulent',
      '--force',
    ])

    command.assertSucceeded()
    command.assertLog(
      `[ green(success) ] Order #${order.id} canceled: the $120.00 hold is released ` +
        `(${held.stripePaymentIntentId}).`
    )
    const { line, payment } = await stateOf(order)
    assert.equal(line.status, 'canceled')
    assert.equal(payment.status, 'canceled')
    assert.equal(payment.cancellationReason, 'fraudulent')
    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'canceled')
    assert.equal(paymentIntent.cancellation_reason, 'fraudulent')
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 0 })
    const canceled = await PaymentEvent.query()
      .where('orderId', order.id)
      .where('type', 'payment.canceled')
    assert.lengthOf(canceled, 1)
    assert.equal(canceled[0].actor, ACTOR)
    assert.equal(canceled[0].stripeId, payment.stripePaymentIntentId)

    const again = await runCommand(OrdersCancel, [String(order.id), '--force'])
    again.assertExitCode(1)
    assert.deepEqual(errorsOf(again), [
      `[ red(error) ] Cannot cancel order #${order.id}: it was canceled.`,
    ])
  })

  test('refuses an unknown reason and a captured order', async ({ assert }) => {
    const { order } = await heldOrder()

    const reason = await runCommand(OrdersCancel, [String(order.id), '--reason=bored', '--force'])
    reason.assertExitCode(1)
    assert.deepEqual(errorsOf(reason), [
      '[ red(error) ] --reason must be one of: duplicate, fraudulent, requested_by_customer, abandoned.',
    ])

    await runCommand(OrdersCapture, [String(order.id), '--force'])
    const captured = await runCommand(OrdersCancel, [String(order.id), '--force'])
    captured.assertExitCode(1)
    assert.deepEqual(errorsOf(captured), [
      `[ red(error) ] Cannot cancel order #${order.id}: it was already approved.`,
    ])
    const { payment } = await stateOf(order)
    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'succeeded')
  })
})

test.group('orders:list and orders:show', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('lists orders newest first, filtered, as a table or JSON', async ({ assert }) => {
    const { contractor, employer, service, order: first } = await heldOrder(12000)
    const second = await placeTestOrder(employer, service)
    const otherContractor = await createActiveContractor({ email: 'olga@example.com' })
    const otherService = await createService(otherContractor, { price: 999 })
    const third = await placeTestOrder(employer, otherService)
    await runCommand(OrdersCapture, [String(second.id), '--force'])
    const [firstState, secondState] = [await stateOf(first), await stateOf(second)]

    const table = await runCommand(OrdersList, ['--contractor=Carla@Example.com'])
    table.assertSucceeded()
    table.assertTableRows([
      ['Order', 'Status', 'Total', 'Payment', 'Lines', 'Employer'],
      [
        `#${second.id}`,
        'Completed',
        '$120.00',
        'succeeded (hold)',
        `#${secondState.line.id} approved carla@example.com`,
        'erin@example.com',
      ],
      [
        `#${first.id}`,
        'Waiting for the contractor',
        '$120.00',
        'authorized (hold)',
        `#${firstState.line.id} requested carla@example.com`,
        'erin@example.com',
      ],
    ])
    assert.notInclude(outputOf(table).join('\n'), `#${third.id}|`)

    const json = await runCommand(OrdersList, [
      '--status=authorized,succeeded',
      `--employer=${employer.email}`,
      '--limit=2',
      '--json',
    ])
    json.assertSucceeded()
    const listed = JSON.parse(outputOf(json)[0])
    assert.deepEqual(
      listed.map((row: { id: number; payment: { status: string } }) => [
        row.id,
        row.payment.status,
      ]),
      [
        [third.id, 'authorized'],
        [second.id, 'succeeded'],
      ]
    )
    assert.deepInclude(listed[1], { total: 12000, currency: 'usd', employer: employer.email })
    assert.deepInclude(listed[1].payment, {
      flow: 'hold',
      amount_captured: 12000,
      stripe_payment_intent_id: secondState.payment.stripePaymentIntentId,
    })
    assert.deepInclude(listed[1].lines[0], {
      contractor: contractor.email,
      amount: 12000,
      fee_amount: 1200,
      status: 'approved',
    })

    // A line status filters too
    const approved = await runCommand(OrdersList, ['--status=approved', '--json'])
    assert.deepEqual(
      JSON.parse(outputOf(approved)[0]).map((row: { id: number }) => row.id),
      [second.id]
    )

    const none = await runCommand(OrdersList, ['--status=refunded'])
    none.assertSucceeded()
    none.assertLog('[ blue(info) ] No order matches.')
  })

  test('refuses bad filters in one line', async ({ assert }) => {
    const cases: [string[], RegExp][] = [
      [
        ['--status=paid'],
        /^--status must be one of: pending, .*requested, .*approved.* \(several: comma-separated\)\.$/,
      ],
      [['--limit=0'], /^--limit must be a whole number from 1 to 1000\.$/],
      [['--limit=abc'], /^--limit must be a whole number from 1 to 1000\.$/],
      [['--employer=nobody@example.com'], /^No user has the email nobody@example\.com\.$/],
      [['--contractor=not-an-email'], /^--contractor must be an email address\.$/],
    ]
    for (const [argv, message] of cases) {
      const command = await runCommand(OrdersList, argv)
      command.assertExitCode(1)
      const errors = errorsOf(command)
      assert.lengthOf(errors, 1, argv.join(' '))
      assert.match(errors[0].replace('[ red(error) ] ', ''), message, argv.join(' '))
    }
  })

  test('shows one order: lines with their fee plan, payments, transfers and the timeline', async ({
    assert,
  }) => {
    const { contractor, order } = await heldOrder(12000)
    await runCommand(OrdersCapture, [String(order.id), '--force'])
    const { line, payment, transfers } = await stateOf(order)

    const command = await runCommand(OrdersShow, [payment.stripePaymentIntentId!])

    command.assertSucceeded()
    const rows = outputOf(command)
    assert.includeMembers(rows, [
      `Order #${order.id}|Completed`,
      `#${line.id} Kitchen repaint|approved|${contractor.email}|$120.00|$12.00 (10%)|$108.00`,
      `Payment #${payment.id}|succeeded (hold, card)`,
      `PaymentIntent|${payment.stripePaymentIntentId}`,
      `Charge|${payment.stripeChargeId}`,
      `#${transfers[0].id} (destination)|#${line.id}|$120.00|$0.00|paid|${transfers[0].stripeTransferId}`,
    ])
    assert.isTrue(
      rows.some((row) =>
        row.includes(`|payment.succeeded|authorized → succeeded|$120.00|${ACTOR}|`)
      )
    )

    const json = await runCommand(OrdersShow, [String(order.id), '--json'])
    const shown = JSON.parse(outputOf(json)[0])
    assert.equal(shown.payments[0].amount_captured, 12000)
    assert.equal(shown.transfers[0].stripe_transfer_id, transfers[0].stripeTransferId)
    assert.deepEqual(shown.lines[0].fee_plan, {
      basisPoints: 1000,
      fixed: 0,
      minimum: null,
      maximum: null,
    })
    assert.deepEqual(
      shown.timeline.map((event: { type: string }) => event.type),
      [
        'order.placed',
        'payment.authorized',
        'payment.capture_requested',
        'payment.succeeded',
        'line.approved',
        'transfer.paid',
      ]
    )

    const unknown = await runCommand(OrdersShow, ['4242'])
    unknown.assertExitCode(1)
    assert.deepEqual(errorsOf(unknown), ['[ red(error) ] Order #4242 does not exist.'])
  })
})
