import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import db from '@adonisjs/lucid/services/db'
import { userInfo } from 'node:os'
import type User from '#models/user'
import Order from '#models/order'
import Refund from '#models/refund'
import ContractorDebit from '#models/contractor_debit'
import PaymentEvent from '#models/payment_event'
import OrdersCapture from '#commands/orders_capture'
import OrdersRefund from '#commands/orders_refund'
import ContractorsDebit from '#commands/contractors_debit'
import StripeReconcile from '#commands/stripe_reconcile'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor, createEmployer, stripeIdOf } from '#tests/helpers/stripe'
import { createService, placeTestOrder } from '#tests/helpers/orders'
import { captureOrder } from '#actions/orders/capture_order'
import { refundOrder } from '#actions/orders/refund_order'
import { receiveStripeEvent } from '#actions/stripe_events/receive_event'
import { runJobs } from '#tests/helpers/jobs'
import {
  chargeOf,
  contractorBalance,
  errorsOf,
  replayDebit,
  replayRefund,
  runCommand,
  stripeRefundsOf,
  withoutTerminal,
} from '#tests/functional/console_helpers'
import { withStripeUnreachable } from '#tests/helpers/stripe'

const ACTOR = `console:${userInfo().username}`

/** A captured order; with pm_card_bypassPending the contractor's share is available at once */
async function capturedOrder(price = 12000, card = 'pm_card_visa') {
  const contractor = await createActiveContractor({ email: 'carla@example.com' })
  const employer = await createEmployer({ email: 'erin@example.com' }, card)
  const service = await createService(contractor, { price })
  const placed = await placeTestOrder(employer, service)
  await captureOrder(placed.id, { actor: 'test' })
  const order = await Order.findOrFail(placed.id)
  return { contractor, employer, service, order }
}

/** The contractor's available balance goes out to their bank, leaving `keep` */
async function payOut(contractor: User, keep: number) {
  const { available } = await contractorBalance(contractor)
  await stripe().payouts.create(
    { amount: available - keep, currency: 'usd' },
    { stripeAccount: await stripeIdOf(contractor) }
  )
}

/** Resolves once `count` database sessions are waiting for a lock */
async function waitersOnLocks(count: number) {
  for (let attempt = 0; attempt < 500; attempt++) {
    const result = await db.rawQuery(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock'`
    )
    if (result.rows[0].waiting >= count) {
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`Never saw ${count} sessions waiting for a lock`)
}

async function eventTypes(orderId: number) {
  const events = await PaymentEvent.query().where('orderId', orderId).orderBy('id')
  return events.map((event) => event.type)
}

test.group('orders:refund', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('partial then full refund: contractor and platform give back their shares to the cent', async ({
    assert,
  }) => {
    // $99.99 with a 10% fee: $10.00 (999.9 rounded half up)
    const { contractor, order } = await capturedOrder(9999)
    assert.equal(order.applicationFeeAmount, 1000)

    const partial = await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=33.33',
      '--reason=requested_by_customer',
      '--force',
    ])

    partial.assertSucceeded()
    partial.assertLog(
      "[ blue(info) ] Refund $33.33 to erin@example.com's card: the contractor gives back $33.33 " +
        'and the platform its $3.33 fee share (the contractor loses $30.00).'
    )
    const [first] = await Refund.query().where('orderId', order.id)
    partial.assertLog(
      `[ green(success) ] Refund #${first.id} of $33.33 on order #${order.id} succeeded ` +
        `(${first.stripeRefundId}): the order is partially_refunded, $33.33 of $99.99 refunded.`
    )
    assert.equal(first.status, 'succeeded')
    assert.equal(first.amount, 3333)
    assert.equal(first.reason, 'requested_by_customer')
    assert.isTrue(first.reverseTransfer)
    assert.isTrue(first.refundApplicationFee)
    assert.equal(first.initiatedBy, ACTOR)
    const onStripe = await stripe().refunds.retrieve(first.stripeRefundId!)
    assert.equal(onStripe.amount, 3333)
    assert.match(String(onStripe.transfer_reversal), /^trr_/)
    assert.equal(onStripe.metadata?.crewpay_refund, first.reference)
    // A re-run's request (same key, from the row) gets the same refund back
    const replayed = await replayRefund(order, first)
    assert.equal(replayed.id, first.stripeRefundId)
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 1)

    let { charge, transfer, fee } = await chargeOf(order.stripeChargeId!)
    assert.equal(charge.amount_refunded, 3333)
    assert.equal(transfer?.amount_reversed, 3333)
    assert.equal(fee?.amount_refunded, 333)
    // 8999 pending from the capture; the reversal (−3333) and the fee refund (+333) are available
    assert.deepEqual(await contractorBalance(contractor), { available: -3000, pending: 8999 })
    await order.refresh()
    assert.equal(order.status, 'partially_refunded')
    assert.equal(order.amountRefunded, 3333)
    const succeeded = await PaymentEvent.query()
      .where('refundId', first.id)
      .where('type', 'refund.succeeded')
      .firstOrFail()
    assert.equal(succeeded.actor, ACTOR)
    assert.equal(succeeded.stripeId, first.stripeRefundId)
    assert.equal(succeeded.amount, 3333)
    const settled = await PaymentEvent.query()
      .where('orderId', order.id)
      .where('type', 'order.refund_settled')
      .firstOrFail()
    assert.equal(settled.message, 'Refunded in total: $33.33 of $99.99')

    const rest = await runCommand(OrdersRefund, [String(order.id), '--force'])

    rest.assertSucceeded()
    rest.assertLogMatches(
      /Refund \$66\.66 to erin@example\.com's card: the contractor gives back \$66\.66 and the platform its \$6\.67 fee share/
    )
    ;({ charge, transfer, fee } = await chargeOf(order.stripeChargeId!))
    assert.equal(charge.amount_refunded, 9999)
    assert.isTrue(transfer?.reversed)
    assert.equal(fee?.amount_refunded, 1000)
    assert.deepEqual(await contractorBalance(contractor), { available: -8999, pending: 8999 })
    const second = await Refund.query()
      .where('orderId', order.id)
      .orderBy('id', 'desc')
      .firstOrFail()
    const replayedSecond = await replayRefund(order, second)
    assert.equal(replayedSecond.id, second.stripeRefundId)
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 2)
    await order.refresh()
    assert.equal(order.status, 'refunded')
    assert.equal(order.amountRefunded, 9999)
    assert.deepEqual(await eventTypes(order.id), [
      'order.placed',
      'order.authorized',
      'order.captured',
      'refund.requested',
      'refund.succeeded',
      'order.refund_settled',
      'refund.requested',
      'refund.succeeded',
      'order.refund_settled',
    ])

    // The same command line again: nothing is left, nothing twice (and no --repeat hint:
    // it would be refused too)
    const again = await runCommand(OrdersRefund, [String(order.id), '--force'])
    again.assertExitCode(1)
    assert.deepEqual(errorsOf(again), [
      `[ red(error) ] Nothing is left to refund on order #${order.id} ($99.99 captured, ` +
        '$99.99 refunded).',
    ])
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 2)
    assert.lengthOf(await Refund.query().where('orderId', order.id), 2)
  })

  test('a re-run of the same partial refund does nothing; --repeat makes a second one', async ({
    assert,
  }) => {
    const { contractor, order } = await capturedOrder(12000)
    const first = await runCommand(OrdersRefund, [String(order.id), '--amount=20.00', '--force'])
    first.assertSucceeded()
    const refund = await Refund.findByOrFail('orderId', order.id)

    const again = await runCommand(OrdersRefund, [String(order.id), '--amount=20', '--force'])

    again.assertSucceeded()
    again.assertLog(
      `[ blue(info) ] Refund #${refund.id} of $20.00 on order #${order.id} already succeeded ` +
        `(${refund.stripeRefundId}): nothing was done. To refund $20.00 again, add --repeat.`
    )
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 1)
    assert.lengthOf(await Refund.query().where('orderId', order.id), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: -1800, pending: 10800 })

    const repeated = await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=20.00',
      '--repeat',
      '--force',
    ])
    repeated.assertSucceeded()
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 2)
    await order.refresh()
    assert.equal(order.amountRefunded, 4000)
    assert.deepEqual(await contractorBalance(contractor), { available: -3600, pending: 10800 })
  })

  test('never refunds more than is left, counting refunds still pending', async ({ assert }) => {
    const { order } = await capturedOrder(12000)
    await runCommand(OrdersRefund, [String(order.id), '--amount=100.00', '--force'])

    const over = await runCommand(OrdersRefund, [String(order.id), '--amount=30.00', '--force'])
    over.assertExitCode(1)
    assert.deepEqual(errorsOf(over), [
      `[ red(error) ] Cannot refund $30.00: only $20.00 of order #${order.id} is left to refund ` +
        '($120.00 captured, $100.00 refunded).',
    ])

    // Another admin's refund, written and not answered yet
    const inFlight = await Refund.create({
      orderId: order.id,
      amount: 1500,
      currency: 'usd',
      reverseTransfer: true,
      refundApplicationFee: true,
      status: 'pending',
      initiatedBy: 'console:someone',
    })
    const blocked = await runCommand(OrdersRefund, [String(order.id), '--amount=4.00', '--force'])
    blocked.assertExitCode(1)
    assert.deepEqual(errorsOf(blocked), [
      `[ red(error) ] Refund #${inFlight.id} of $15.00 on order #${order.id} (by console:someone) ` +
        'is still pending: its outcome on Stripe is not known yet. Complete it first: re-run it ' +
        '(--amount=15.00) or run stripe:reconcile --fix.',
    ])
    const counted = await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=10.00',
      '--repeat',
      '--force',
    ])
    counted.assertExitCode(1)
    assert.deepEqual(errorsOf(counted), [
      `[ red(error) ] Cannot refund $10.00: only $5.00 of order #${order.id} is left to refund ` +
        '($120.00 captured, $100.00 refunded, $15.00 pending).',
    ])

    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 1)
    assert.lengthOf(await Refund.query().where('orderId', order.id), 2)
    await order.refresh()
    assert.equal(order.amountRefunded, 10000)
  })

  test('--keep-fee: the contractor gives back the whole amount, the platform keeps its fee', async ({
    assert,
  }) => {
    const { contractor, order } = await capturedOrder(12000)

    const command = await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=50.00',
      '--keep-fee',
      '--force',
    ])

    command.assertSucceeded()
    command.assertLogMatches(/the contractor gives back \$50\.00, the platform keeps its fee\.$/)
    const refund = await Refund.findByOrFail('orderId', order.id)
    assert.isTrue(refund.reverseTransfer)
    assert.isFalse(refund.refundApplicationFee)
    const { transfer, fee } = await chargeOf(order.stripeChargeId!)
    assert.equal(transfer?.amount_reversed, 5000)
    assert.equal(fee?.amount_refunded, 0)
    assert.deepEqual(await contractorBalance(contractor), { available: -5000, pending: 10800 })
  })

  test('--no-reverse-transfer: the platform pays it all, the contractor keeps their money', async ({
    assert,
  }) => {
    const { contractor, order } = await capturedOrder(12000)

    const command = await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=50.00',
      '--no-reverse-transfer',
      '--force',
    ])

    command.assertSucceeded()
    command.assertLogMatches(
      /the platform pays all of it; the contractor keeps what they were paid\.$/
    )
    const refund = await Refund.findByOrFail('orderId', order.id)
    assert.isFalse(refund.reverseTransfer)
    assert.isFalse(refund.refundApplicationFee)
    const onStripe = await stripe().refunds.retrieve(refund.stripeRefundId!)
    assert.isNull(onStripe.transfer_reversal)
    const { charge, transfer, fee } = await chargeOf(order.stripeChargeId!)
    assert.equal(charge.amount_refunded, 5000)
    assert.equal(transfer?.amount_reversed, 0)
    assert.equal(fee?.amount_refunded, 0)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 10800 })
    await order.refresh()
    assert.equal(order.amountRefunded, 5000)
  })

  test("the contractor's balance cannot cover the reversal: refused plainly, nothing moves", async ({
    assert,
  }) => {
    const { contractor, order } = await capturedOrder(12000, 'pm_card_bypassPending')
    await payOut(contractor, 800)

    const command = await runCommand(OrdersRefund, [String(order.id), '--amount=50.00', '--force'])

    command.assertExitCode(1)
    assert.deepEqual(errorsOf(command), [
      "[ red(error) ] The contractor's Stripe balance ($8.00) cannot cover giving back their " +
        "$45.00 share of this $50.00 refund: nothing was refunded. To refund from the platform's " +
        'balance and record a $45.00 debit owed by the contractor, re-run with --platform-covers.',
    ])
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 0)
    assert.deepEqual(await contractorBalance(contractor), { available: 800, pending: 0 })
    const refund = await Refund.findByOrFail('orderId', order.id)
    assert.equal(refund.status, 'failed')
    assert.isNull(refund.stripeRefundId)
    await order.refresh()
    assert.equal(order.status, 'captured')
    assert.equal(order.amountRefunded, 0)
    assert.lengthOf(await ContractorDebit.all(), 0)
  })

  test('--platform-covers: the platform refunds, the contractor owes their share as a debit', async ({
    assert,
  }) => {
    const { contractor, employer, service, order } = await capturedOrder(
      12000,
      'pm_card_bypassPending'
    )
    await payOut(contractor, 800)

    const command = await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=50.00',
      '--platform-covers',
      '--force',
    ])

    command.assertSucceeded()
    const [refused, covered] = await Refund.query().where('orderId', order.id).orderBy('id')
    assert.equal(refused.status, 'failed')
    assert.equal(covered.status, 'succeeded')
    assert.isFalse(covered.reverseTransfer)
    assert.isFalse(covered.refundApplicationFee)
    assert.equal(covered.contractorOwes, 4500)
    const debit = await ContractorDebit.findByOrFail('refundId', covered.id)
    assert.equal(debit.status, 'owed')
    assert.equal(debit.amount, 4500)
    assert.equal(debit.orderId, order.id)
    assert.equal(debit.contractorId, contractor.id)
    assert.isNull(debit.stripeId)
    command.assertLog(
      `[ yellow(warn) ] Refund #${refused.id} was refused: the contractor's Stripe balance cannot ` +
        'cover giving back their share. The platform covers it.'
    )
    command.assertLog(
      `[ yellow(warn) ] Debit #${debit.id}: the contractor owes $45.00 (their share). Collect it ` +
        `with: node ace contractors:debit ${contractor.id} --collect=${debit.id}`
    )

    const replayed = await replayRefund(order, covered)
    assert.equal(replayed.id, covered.stripeRefundId)
    const refunds = await stripeRefundsOf(order.stripePaymentIntentId!)
    assert.lengthOf(refunds, 1)
    assert.isNull(refunds[0].transfer_reversal)
    const { fee } = await chargeOf(order.stripeChargeId!)
    assert.equal(fee?.amount_refunded, 0)
    assert.deepEqual(await contractorBalance(contractor), { available: 800, pending: 0 })
    await order.refresh()
    assert.equal(order.status, 'partially_refunded')
    assert.equal(order.amountRefunded, 5000)
    const owed = await PaymentEvent.query()
      .where('contractorDebitId', debit.id)
      .where('type', 'contractor_debit.owed')
      .firstOrFail()
    assert.equal(owed.actor, ACTOR)
    assert.equal(owed.amount, 4500)

    // The same command again: found, nothing twice
    const again = await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=50.00',
      '--platform-covers',
      '--force',
    ])
    again.assertSucceeded()
    again.assertLogMatches(new RegExp(`Refund #${covered.id} of \\$50\\.00 .* already succeeded`))
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 1)
    assert.lengthOf(await ContractorDebit.all(), 1)

    // Collecting it: refused while the balance is short, it stays owed
    const early = await runCommand(ContractorsDebit, [
      contractor.email,
      `--collect=${debit.id}`,
      '--force',
    ])
    early.assertExitCode(1)
    assert.deepEqual(errorsOf(early), [
      `[ red(error) ] Stripe refused debit #${debit.id}: The contractor's available Stripe ` +
        'balance ($8.00) cannot cover this $45.00 debit: nothing was charged.',
    ])
    await debit.refresh()
    assert.equal(debit.status, 'owed')

    // A new order pays the contractor: the debit is collected, once
    const next = await placeTestOrder(employer, service)
    await captureOrder(next.id, { actor: 'test' })
    const collected = await runCommand(ContractorsDebit, [
      contractor.email,
      `--collect=${debit.id}`,
      '--force',
    ])
    collected.assertSucceeded()
    await debit.refresh()
    assert.equal(debit.status, 'succeeded')
    assert.match(debit.stripeId!, /^py_/)
    collected.assertLog(
      `[ green(success) ] Debit #${debit.id} of $45.00 from carla@example.com succeeded (${debit.stripeId}).`
    )
    assert.deepEqual(await contractorBalance(contractor), {
      available: 800 + 10800 - 4500,
      pending: 0,
    })
    const payment = await stripe().charges.retrieve(debit.stripeId!)
    assert.equal(payment.amount, 4500)
    // The second collection had its own key: replaying it gets the same payment
    const replayedDebit = await replayDebit(debit, 2)
    assert.equal(replayedDebit.id, debit.stripeId)
    assert.deepEqual(await contractorBalance(contractor), {
      available: 800 + 10800 - 4500,
      pending: 0,
    })
    const twice = await runCommand(ContractorsDebit, [
      contractor.email,
      `--collect=${debit.id}`,
      '--force',
    ])
    twice.assertSucceeded()
    twice.assertLogMatches(/was already collected/)
    assert.deepEqual(await contractorBalance(contractor), { available: 7100, pending: 0 })
  })

  test('after a covered refund, refunding the rest never takes the covered share twice', async ({
    assert,
  }) => {
    const { contractor, order } = await capturedOrder(12000, 'pm_card_bypassPending')
    await payOut(contractor, 800)
    await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=50.00',
      '--platform-covers',
      '--force',
    ])
    const plain = await runCommand(OrdersRefund, [String(order.id), '--force'])
    plain.assertExitCode(1)
    assert.deepEqual(errorsOf(plain), [
      `[ red(error) ] Refunding the $70.00 left on order #${order.id} with reverse_transfer ` +
        "would reverse $120.00 of the contractor's transfer (their share: $70.00) and give back " +
        "$12.00 of the platform's fee (its share: $7.00): Stripe settles what is left on the " +
        'refund of everything left, and earlier refunds did not take their share. Nothing was ' +
        'refunded. Use --platform-covers (the platform refunds, the contractor owes their $63.00 ' +
        'share) or --no-reverse-transfer (the platform pays).',
    ])
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 1)
    assert.lengthOf(await Refund.query().where('orderId', order.id), 2)

    const covered = await runCommand(OrdersRefund, [
      String(order.id),
      '--platform-covers',
      '--force',
    ])
    covered.assertSucceeded()
    covered.assertLog(
      "[ blue(info) ] Refund $70.00 to erin@example.com's card: the platform pays all of it " +
        "(Stripe would take back more than the contractor's share: earlier refunds of this order " +
        'did not take theirs) and the contractor owes their $63.00 share as a debit.'
    )
    const debits = await ContractorDebit.query().orderBy('id')
    // $70 refunded: the contractor's share of it is $63 (their $45 for the first $50 stays owed)
    assert.deepEqual(
      debits.map((debit) => [debit.amount, debit.status]),
      [
        [4500, 'owed'],
        [6300, 'owed'],
      ]
    )
    const { transfer, fee } = await chargeOf(order.stripeChargeId!)
    assert.equal(transfer?.amount_reversed, 0)
    assert.equal(fee?.amount_refunded, 0)
    await order.refresh()
    assert.equal(order.status, 'refunded')
  })

  test('after a --no-reverse-transfer refund, refunding the rest never takes back the part the platform paid', async ({
    assert,
  }) => {
    const { contractor, order } = await capturedOrder(12000)
    await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=50.00',
      '--no-reverse-transfer',
      '--force',
    ])

    const plain = await runCommand(OrdersRefund, [String(order.id), '--force'])

    plain.assertExitCode(1)
    assert.deepEqual(errorsOf(plain), [
      `[ red(error) ] Refunding the $70.00 left on order #${order.id} with reverse_transfer ` +
        "would reverse $120.00 of the contractor's transfer (their share: $70.00) and give back " +
        "$12.00 of the platform's fee (its share: $7.00): Stripe settles what is left on the " +
        'refund of everything left, and earlier refunds did not take their share. Nothing was ' +
        'refunded. Use --platform-covers (the platform refunds, the contractor owes their $63.00 ' +
        'share) or --no-reverse-transfer (the platform pays).',
    ])
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 1)
    assert.lengthOf(await Refund.all(), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 10800 })

    // With --platform-covers: the platform refunds, the contractor owes their $63.00 share
    const covered = await runCommand(OrdersRefund, [
      String(order.id),
      '--platform-covers',
      '--force',
    ])
    covered.assertSucceeded()
    const { transfer, fee } = await chargeOf(order.stripeChargeId!)
    assert.equal(transfer?.amount_reversed, 0)
    assert.equal(fee?.amount_refunded, 0)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 10800 })
    const [debit] = await ContractorDebit.all()
    assert.equal(debit.amount, 6300)
    assert.equal(debit.status, 'owed')
    await order.refresh()
    assert.equal(order.status, 'refunded')
  })

  test('after a --keep-fee refund, refunding the rest never gives back the fee the platform kept', async ({
    assert,
  }) => {
    const { contractor, order } = await capturedOrder(12000)
    await runCommand(OrdersRefund, [String(order.id), '--amount=50.00', '--keep-fee', '--force'])

    const plain = await runCommand(OrdersRefund, [String(order.id), '--force'])

    plain.assertExitCode(1)
    assert.deepEqual(errorsOf(plain), [
      `[ red(error) ] Refunding the $70.00 left on order #${order.id} with reverse_transfer ` +
        "would give back $12.00 of the platform's fee (its share: $7.00): Stripe settles what is " +
        'left on the refund of everything left, and earlier refunds did not take their share. ' +
        'Nothing was refunded. Use --platform-covers (the platform refunds, the contractor owes ' +
        'their $63.00 share) or --keep-fee (the platform keeps its fee) or --no-reverse-transfer ' +
        '(the platform pays).',
    ])
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 1)

    const { transfer, fee } = await chargeOf(order.stripeChargeId!)
    assert.equal(transfer?.amount_reversed, 5000)
    assert.equal(fee?.amount_refunded, 0)
    assert.deepEqual(await contractorBalance(contractor), { available: -5000, pending: 10800 })
  })

  test('a refund of everything left after proportional ones settles the rounding remainders', async ({
    assert,
  }) => {
    // $99.99, fee $10.00: three refunds of $33.33 each round their shares
    const { order } = await capturedOrder(9999)
    for (const argv of [['--amount=33.33'], ['--amount=33.33', '--repeat'], []]) {
      const command = await runCommand(OrdersRefund, [String(order.id), ...argv, '--force'])
      command.assertSucceeded()
    }
    const { transfer, fee } = await chargeOf(order.stripeChargeId!)
    assert.equal(transfer?.amount_reversed, 9999)
    assert.equal(fee?.amount_refunded, 1000)
  })

  test('a re-run completes the pending refund a crash left, never a second one', async ({
    assert,
  }) => {
    const { contractor, order } = await capturedOrder(12000)
    // The first run wrote its row and reached Stripe, then died before recording the answer
    const crashed = await Refund.create({
      orderId: order.id,
      amount: 5000,
      currency: 'usd',
      reverseTransfer: true,
      refundApplicationFee: true,
      status: 'pending',
      initiatedBy: ACTOR,
    })
    const sent = await stripe().refunds.create(
      {
        payment_intent: order.stripePaymentIntentId!,
        amount: 5000,
        reverse_transfer: true,
        refund_application_fee: true,
        metadata: { crewpay_refund: crashed.reference },
      },
      { idempotencyKey: idempotencyKey('refund', crashed, 'create') }
    )

    const rerun = await runCommand(OrdersRefund, [String(order.id), '--amount=50.00', '--force'])

    rerun.assertSucceeded()
    rerun.assertLog(
      `[ green(success) ] Refund #${crashed.id} (from an earlier run) of $50.00 on order ` +
        `#${order.id} succeeded (${sent.id}): the order is partially_refunded, $50.00 of $120.00 refunded.`
    )
    await crashed.refresh()
    assert.equal(crashed.status, 'succeeded')
    assert.equal(crashed.stripeRefundId, sent.id)
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 1)
    assert.lengthOf(await Refund.all(), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: -4500, pending: 10800 })
    await order.refresh()
    assert.equal(order.amountRefunded, 5000)

    // A crash before Stripe was reached: the re-run sends it, with the row's key
    const unsent = await Refund.create({
      orderId: order.id,
      amount: 1000,
      currency: 'usd',
      reverseTransfer: true,
      refundApplicationFee: true,
      status: 'pending',
      initiatedBy: ACTOR,
    })
    const second = await runCommand(OrdersRefund, [String(order.id), '--amount=10.00', '--force'])
    second.assertSucceeded()
    const refunds = await stripeRefundsOf(order.stripePaymentIntentId!)
    assert.lengthOf(refunds, 2)
    assert.equal(refunds[0].metadata?.crewpay_refund, unsent.reference)
    await unsent.refresh()
    assert.equal(unsent.stripeRefundId, refunds[0].id)
    await order.refresh()
    assert.equal(order.amountRefunded, 6000)
  })

  test('Stripe unreachable: the refund stays pending and the same command completes it once', async ({
    assert,
  }) => {
    const { contractor, order } = await capturedOrder(12000)

    // With reverse_transfer the refund is decided from Stripe's charge: nothing is written
    const undecided = await withStripeUnreachable(() =>
      runCommand(OrdersRefund, [String(order.id), '--amount=50.00', '--force'])
    )
    undecided.assertExitCode(1)
    assert.deepEqual(errorsOf(undecided), [
      '[ red(error) ] Stripe did not answer: nothing was done. Run the same command again.',
    ])
    assert.lengthOf(await Refund.all(), 0)

    // Without reversal the row is written first; Stripe's silence leaves it pending
    const argv = [String(order.id), '--amount=50.00', '--no-reverse-transfer', '--force']
    const unreachable = await withStripeUnreachable(() => runCommand(OrdersRefund, argv))

    unreachable.assertExitCode(1)
    const refund = await Refund.findByOrFail('orderId', order.id)
    assert.deepEqual(errorsOf(unreachable), [
      `[ red(error) ] Stripe did not answer: refund #${refund.id} of $50.00 stays pending. Run the ` +
        'same command again to complete it (it reuses the same idempotency key), or ' +
        'stripe:reconcile --fix.',
    ])
    assert.equal(refund.status, 'pending')
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 0)

    const rerun = await runCommand(OrdersRefund, argv)

    rerun.assertSucceeded()
    rerun.assertLogMatches(
      new RegExp(`Refund #${refund.id} \\(from an earlier run\\) of \\$50\\.00`)
    )
    const refunds = await stripeRefundsOf(order.stripePaymentIntentId!)
    assert.lengthOf(refunds, 1)
    assert.equal(refunds[0].metadata?.crewpay_refund, refund.reference)
    assert.lengthOf(await Refund.all(), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 10800 })
  })

  test('two refunds at once: the second is checked under the lock against the first one’s pending row', async ({
    assert,
  }) => {
    const { order } = await capturedOrder(12000)

    // Another operation holds the order's row lock; both refunds queue behind it
    const holder = await db.transaction()
    await holder.from('orders').where('id', order.id).forUpdate().first()
    const first = refundOrder(order.id, { actor: 'console:alice', amount: 7000 })
    await waitersOnLocks(1)
    const second = refundOrder(order.id, { actor: 'console:bob', amount: 6000 })
    await waitersOnLocks(2)
    await holder.commit()
    const [alice, bob] = await Promise.allSettled([first, second])

    // Alice's row was written (pending) before Bob got the lock: Bob counts it
    assert.equal(alice.status, 'fulfilled')
    assert.equal(bob.status, 'rejected')
    const [refund] = await Refund.all()
    assert.equal(
      (bob as PromiseRejectedResult).reason.message,
      `Refund #${refund.id} of $70.00 on order #${order.id} (by console:alice) is still pending: ` +
        'its outcome on Stripe is not known yet. Complete it first: re-run it (--amount=70.00) ' +
        'or run stripe:reconcile --fix.'
    )
    // Refused before a row was written or Stripe was asked
    assert.lengthOf(await Refund.all(), 1)
    const refunds = await stripeRefundsOf(order.stripePaymentIntentId!)
    assert.lengthOf(refunds, 1)
    assert.equal(refunds[0].amount, 7000)
    await order.refresh()
    assert.equal(order.amountRefunded, 7000)
  })

  test('after a partial capture, refunds count only captured money (command and webhook agree)', async ({
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const service = await createService(contractor, { price: 12000 })
    const order = await placeTestOrder(employer, service)
    await runCommand(OrdersCapture, [String(order.id), '--amount=50.00', '--force'])

    const command = await runCommand(OrdersRefund, [String(order.id), '--amount=20.00', '--force'])

    command.assertSucceeded()
    command.assertLogMatches(/the order is partially_refunded, \$20\.00 of \$50\.00 refunded\.$/)
    await order.refresh()
    assert.equal(order.amountRefunded, 2000)

    // Stripe's charge.refunded (its amount_refunded also counts the released $70)
    const events = await stripe().events.list({ type: 'charge.refunded', limit: 10 })
    const refunded = events.data.find(
      (event) => (event.data.object as { id: string }).id === order.stripeChargeId
    )!
    assert.equal((refunded.data.object as { amount_refunded: number }).amount_refunded, 9000)
    await receiveStripeEvent(refunded)
    await runJobs(['apply_stripe_event'])
    await order.refresh()
    assert.equal(order.status, 'partially_refunded')
    assert.equal(order.amountRefunded, 2000)

    const rest = await runCommand(OrdersRefund, [String(order.id), '--force'])
    rest.assertSucceeded()
    await order.refresh()
    assert.equal(order.status, 'refunded')
    assert.equal(order.amountRefunded, 5000)
    const { fee } = await chargeOf(order.stripeChargeId!)
    assert.equal(fee?.amount_refunded, 500)
  })

  test('a refund made on Stripe behind the app’s back: Stripe’s refusal says to reconcile', async ({
    assert,
  }) => {
    const { order } = await capturedOrder(12000)
    await stripe().refunds.create({ payment_intent: order.stripePaymentIntentId!, amount: 2000 })

    const refused = await runCommand(OrdersRefund, [String(order.id), '--force'])

    refused.assertExitCode(1)
    const [row] = await Refund.all()
    assert.deepEqual(errorsOf(refused), [
      `[ red(error) ] Stripe refused refund #${row.id}: Stripe has less left to refund on this ` +
        'charge than Crewpay knows (a refund made outside Crewpay?); run stripe:reconcile. ' +
        'Nothing was refunded.',
    ])
    assert.equal(row.status, 'failed')
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 1)

    await runCommand(StripeReconcile, ['--fix', '--force'])
    // The Dashboard refund reversed nothing: refunding the rest with reverse_transfer would
    // make Stripe take the whole transfer back for $100.00
    const overreach = await runCommand(OrdersRefund, [String(order.id), '--force'])
    overreach.assertExitCode(1)
    assert.match(
      errorsOf(overreach)[0],
      /would reverse \$120\.00 of the contractor's transfer \(their share: \$100\.00\) and give back \$12\.00 of the platform's fee \(its share: \$10\.00\)/
    )
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 1)

    const rest = await runCommand(OrdersRefund, [
      String(order.id),
      '--no-reverse-transfer',
      '--force',
    ])
    rest.assertSucceeded()
    rest.assertLogMatches(
      /of \$100\.00 on order #\d+ succeeded .*the order is refunded, \$120\.00 of \$120\.00 refunded\.$/
    )
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 2)
    const { transfer } = await chargeOf(order.stripeChargeId!)
    assert.equal(transfer?.amount_reversed, 0)
  })

  test('refuses what cannot be refunded and bad input, in one line, changing nothing', async ({
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const service = await createService(contractor, { price: 12000 })
    const held = await placeTestOrder(employer, service)
    const placed = await placeTestOrder(employer, service)
    await captureOrder(placed.id, { actor: 'test' })
    const order = await Order.findOrFail(placed.id)

    const cases: [string[], string][] = [
      [
        [String(held.id)],
        `Cannot refund order #${held.id}: it is not captured yet (authorized); release the hold ` +
          'with orders:cancel instead.',
      ],
      [[String(order.id), '--amount=-5'], 'The amount cannot be negative.'],
      [[String(order.id), '--amount=1.234'], 'USD amounts have at most 2 decimals.'],
      [[String(order.id), '--amount=abc'], '"abc" is not an amount (write it like 12.50).'],
      [
        [String(order.id), '--reason=changed_my_mind'],
        '--reason must be one of: duplicate, fraudulent, requested_by_customer.',
      ],
      [['31337'], 'Order #31337 does not exist.'],
    ]
    for (const [argv, message] of cases) {
      const command = await runCommand(OrdersRefund, [...argv, '--force'])
      command.assertExitCode(1)
      assert.deepEqual(errorsOf(command), [`[ red(error) ] ${message}`], argv.join(' '))
    }

    const noTerminal = await withoutTerminal(() =>
      runCommand(OrdersRefund, [String(order.id), '--amount=10.00'])
    )
    noTerminal.assertExitCode(1)
    assert.deepEqual(errorsOf(noTerminal), [
      '[ red(error) ] No terminal to confirm on: nothing was done. Re-run with --force to refund.',
    ])
    const declined = await runCommand(OrdersRefund, [String(order.id), '--amount=10.00'], (c) => {
      c.prompt.trap(`Refund $10.00 of order #${order.id}?`).reject()
    })
    declined.assertExitCode(1)

    assert.lengthOf(await Refund.all(), 0)
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 0)

    const confirmed = await runCommand(OrdersRefund, [String(order.id), '--amount=10.00'], (c) => {
      c.prompt.trap(`Refund $10.00 of order #${order.id}?`).accept()
    })
    confirmed.assertSucceeded()
    assert.lengthOf(await stripeRefundsOf(order.stripePaymentIntentId!), 1)
  })
})
