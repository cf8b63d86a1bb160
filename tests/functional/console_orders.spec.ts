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
import { createService, placeTestOrder } from '#tests/helpers/orders'
import { acceptOrder } from '#actions/orders/accept_order'
import { captureOrder } from '#actions/orders/capture_order'
import { ActionError } from '#exceptions/action_error'
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
  return { contractor, employer, service, order }
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
    const { contractor, order } = await heldOrder(12000)

    const command = await runCommand(OrdersCapture, [`#${order.id}`, '--force'])

    command.assertSucceeded()
    command.assertLog(
      `[ green(success) ] Order #${order.id} captured: $120.00 charged, platform fee $12.00, ` +
        `the contractor receives $108.00 (${order.stripePaymentIntentId}).`
    )
    await order.refresh()
    assert.equal(order.status, 'captured')
    assert.equal(order.amountCaptured, 12000)
    assert.equal(order.applicationFeeAmount, 1200)
    assert.match(order.stripeTransferId!, /^tr_/)

    const paymentIntent = await stripe().paymentIntents.retrieve(order.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'succeeded')
    assert.equal(paymentIntent.amount_received, 12000)
    const { fee, transfer } = await chargeOf(order.stripeChargeId!)
    assert.equal(fee?.amount, 1200)
    assert.equal(transfer?.amount, 12000)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 10800 })

    const captured = await PaymentEvent.query()
      .where('orderId', order.id)
      .where('type', 'order.captured')
      .firstOrFail()
    assert.equal(captured.actor, ACTOR)
    assert.equal(captured.amount, 12000)
    assert.equal(captured.stripeId, order.stripePaymentIntentId)
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
    await order.refresh()
    assert.equal(order.amountCaptured, 5005)
    // 10% of 5005 = 500.5, rounded half up
    assert.equal(order.applicationFeeAmount, 501)
    const paymentIntent = await stripe().paymentIntents.retrieve(order.stripePaymentIntentId!)
    assert.equal(paymentIntent.amount_received, 5005)
    assert.equal(paymentIntent.amount_capturable, 0)
    const { fee } = await chargeOf(order.stripeChargeId!)
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
      `[ red(error) ] Cannot capture the payment: order #${order.id} was already approved and paid.`,
    ])
    await order.refresh()
    assert.lengthOf(await chargeCapturedEvents(order.stripeChargeId!), 1)
    const captures = await PaymentEvent.query()
      .where('orderId', order.id)
      .where('type', 'order.captured')
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
      '[ red(error) ] Stripe did not answer, so the capture may or may not have happened. Try ' +
        'again: it happens once, however many times it is tried.',
    ])
    await order.refresh()
    assert.equal(order.status, 'authorized')

    const rerun = await runCommand(OrdersCapture, [String(order.id), '--force'])
    rerun.assertSucceeded()
    await order.refresh()
    assert.equal(order.status, 'captured')
    assert.lengthOf(await chargeCapturedEvents(order.stripeChargeId!), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 10800 })
  })

  test('asks before capturing; a "no" changes nothing', async ({ assert }) => {
    const { order } = await heldOrder()

    const declined = await runCommand(OrdersCapture, [String(order.id)], (command) => {
      command.prompt.trap(`Capture $120.00 on order #${order.id}?`).reject()
    })
    declined.assertExitCode(1)
    assert.deepEqual(errorsOf(declined), ['[ red(error) ] Not confirmed: nothing was done.'])
    await order.refresh()
    assert.equal(order.status, 'authorized')
    const held = await stripe().paymentIntents.retrieve(order.stripePaymentIntentId!)
    assert.equal(held.status, 'requires_capture')

    const accepted = await runCommand(OrdersCapture, [String(order.id)], (command) => {
      command.prompt.trap(`Capture $120.00 on order #${order.id}?`).accept()
    })
    accepted.assertSucceeded()
    await order.refresh()
    assert.equal(order.status, 'captured')
  })

  test('without a terminal and without --force it refuses in one line', async ({ assert }) => {
    const { order } = await heldOrder()

    const command = await withoutTerminal(() => runCommand(OrdersCapture, [String(order.id)]))

    command.assertExitCode(1)
    assert.deepEqual(errorsOf(command), [
      '[ red(error) ] No terminal to confirm on: nothing was done. Re-run with --force to capture.',
    ])
    await order.refresh()
    assert.equal(order.status, 'authorized')
    const held = await stripe().paymentIntents.retrieve(order.stripePaymentIntentId!)
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
      () => captureOrder(order.id, { actor: 'test', amount: 12001 }),
      ActionError,
      `Cannot capture $120.01: the hold on order #${order.id} is $120.00.`
    )
    await order.refresh()
    assert.equal(order.status, 'authorized')
    const held = await stripe().paymentIntents.retrieve(order.stripePaymentIntentId!)
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
    const paymentIntent = await stripe().paymentIntents.retrieve(order.stripePaymentIntentId!)
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
    const { contractor, order } = await heldOrder()
    await acceptOrder(order.id, contractor)

    const command = await runCommand(OrdersCancel, [
      String(order.id),
      '--reason=fraudulent',
      '--force',
    ])

    command.assertSucceeded()
    command.assertLog(
      `[ green(success) ] Order #${order.id} canceled: the $120.00 hold is released ` +
        `(${order.stripePaymentIntentId}).`
    )
    await order.refresh()
    assert.equal(order.status, 'canceled')
    assert.equal(order.cancellationReason, 'fraudulent')
    const paymentIntent = await stripe().paymentIntents.retrieve(order.stripePaymentIntentId!)
    assert.equal(paymentIntent.status, 'canceled')
    assert.equal(paymentIntent.cancellation_reason, 'fraudulent')
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 0 })
    const canceled = await PaymentEvent.query()
      .where('orderId', order.id)
      .where('type', 'order.canceled')
    assert.lengthOf(canceled, 1)
    assert.equal(canceled[0].actor, ACTOR)
    assert.equal(canceled[0].stripeId, order.stripePaymentIntentId)

    const again = await runCommand(OrdersCancel, [String(order.id), '--force'])
    again.assertExitCode(1)
    assert.deepEqual(errorsOf(again), [
      `[ red(error) ] Cannot cancel the order: order #${order.id} was canceled.`,
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
      `[ red(error) ] Cannot cancel the order: order #${order.id} was already approved and paid.`,
    ])
    const paymentIntent = await stripe().paymentIntents.retrieve(order.stripePaymentIntentId!)
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
    await second.refresh()

    const table = await runCommand(OrdersList, ['--contractor=Carla@Example.com'])
    table.assertSucceeded()
    const held = first.holdExpiresAt!.toUTC().toFormat("yyyy-MM-dd HH:mm 'UTC'")
    table.assertTableRows([
      ['Order', 'Status', 'Amount', 'Fee', 'Employer', 'Contractor', 'Held until', 'PaymentIntent'],
      [
        `#${second.id}`,
        'captured',
        '$120.00',
        '$12.00',
        'erin@example.com',
        'carla@example.com',
        '',
        second.stripePaymentIntentId!,
      ],
      [
        `#${first.id}`,
        'authorized',
        '$120.00',
        '$12.00',
        'erin@example.com',
        'carla@example.com',
        held,
        first.stripePaymentIntentId!,
      ],
    ])
    assert.notInclude(outputOf(table).join('\n'), `#${third.id}|`)

    const json = await runCommand(OrdersList, [
      '--status=authorized,captured',
      `--employer=${employer.email}`,
      '--limit=2',
      '--json',
    ])
    json.assertSucceeded()
    const listed = JSON.parse(outputOf(json)[0])
    assert.deepEqual(
      listed.map((row: { id: number; status: string }) => [row.id, row.status]),
      [
        [third.id, 'authorized'],
        [second.id, 'captured'],
      ]
    )
    assert.deepInclude(listed[1], {
      amount: 12000,
      currency: 'usd',
      application_fee_amount: 1200,
      amount_captured: 12000,
      contractor: contractor.email,
      stripe_payment_intent_id: second.stripePaymentIntentId,
    })

    const none = await runCommand(OrdersList, ['--status=refunded'])
    none.assertSucceeded()
    none.assertLog('[ blue(info) ] No order matches.')
  })

  test('refuses bad filters in one line', async ({ assert }) => {
    const cases: [string[], string][] = [
      [
        ['--status=paid'],
        '--status must be one of: pending, authorized, accepted, delivered, captured, canceled, ' +
          'expired, failed, partially_refunded, refunded (several: comma-separated).',
      ],
      [['--limit=0'], '--limit must be a whole number from 1 to 1000.'],
      [['--limit=abc'], '--limit must be a whole number from 1 to 1000.'],
      [['--employer=nobody@example.com'], 'No user has the email nobody@example.com.'],
      [['--contractor=not-an-email'], '--contractor must be an email address.'],
    ]
    for (const [argv, message] of cases) {
      const command = await runCommand(OrdersList, argv)
      command.assertExitCode(1)
      assert.deepEqual(errorsOf(command), [`[ red(error) ] ${message}`], argv.join(' '))
    }
  })

  test('shows one order: amounts, Stripe ids and its timeline', async ({ assert }) => {
    const { contractor, order } = await heldOrder(12000)
    await runCommand(OrdersCapture, [String(order.id), '--force'])
    await order.refresh()

    const command = await runCommand(OrdersShow, [order.stripePaymentIntentId!])

    command.assertSucceeded()
    command.assertTableRows([
      [`Order #${order.id}`, 'captured'],
      ['Contractor', `${contractor.email} (user ${contractor.id})`],
      ['Amount', '$120.00 USD'],
      ['Platform fee', '$12.00'],
      ['Contractor share', '$108.00'],
      ['Captured', '$120.00'],
      ['PaymentIntent', order.stripePaymentIntentId!],
      ['Charge', order.stripeChargeId!],
      ['Transfer', order.stripeTransferId!],
    ])
    const output = outputOf(command).join('\n')
    assert.include(
      output,
      `|order.captured|authorized → captured|$120.00|${ACTOR}|${order.stripePaymentIntentId}|`
    )

    const json = await runCommand(OrdersShow, [String(order.id), '--json'])
    const shown = JSON.parse(outputOf(json)[0])
    assert.equal(shown.amount_captured, 12000)
    assert.equal(shown.stripe_transfer_id, order.stripeTransferId)
    assert.deepEqual(
      shown.timeline.map((event: { type: string }) => event.type),
      ['order.placed', 'order.authorized', 'order.captured']
    )

    const unknown = await runCommand(OrdersShow, ['4242'])
    unknown.assertExitCode(1)
    assert.deepEqual(errorsOf(unknown), ['[ red(error) ] Order #4242 does not exist.'])
  })
})
