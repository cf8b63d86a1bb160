import { test } from '@japa/runner'
import { runJobs } from '#tests/helpers/jobs'
import ace from '@adonisjs/core/services/ace'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { userInfo } from 'node:os'
import type User from '#models/user'
import type Order from '#models/order'
import type Service from '#models/service'
import Refund from '#models/refund'
import ContractorDebit from '#models/contractor_debit'
import PaymentEvent from '#models/payment_event'
import TransferReversal from '#models/transfer_reversal'
import OrdersCapture from '#commands/orders_capture'
import OrdersRefund from '#commands/orders_refund'
import ContractorsDebit from '#commands/contractors_debit'
import StripeReconcile from '#commands/stripe_reconcile'
import { actors } from '#domain/actor'
import { stripe } from '#stripe/client'
import { formatAmount } from '#money/amounts'
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
import { refundOrder } from '#actions/refunds/refund_order'
import { driveOrder } from '#actions/orders/drive_order'
import { receiveStripeEvent } from '#actions/stripe_events/receive_event'
import {
  chargeOf,
  contractorBalance,
  errorsOf,
  literally,
  replayDebit,
  replayRefund,
  runCommand,
  stripeRefundsOf,
  stripeWritesDuring,
  withoutTerminal,
} from '#tests/functional/console_helpers'
import { withStripeUnreachable } from '#tests/helpers/stripe'

const ACTOR = `console:${userInfo().username}`

/** An admin captures a one-line order (hold flow): the contractor is paid by the destination charge */
async function capture(order: Order) {
  await approveLines(order.id, null, actors.admin('test'))
}

/** A captured one-line order; with pm_card_bypassPending the contractor's share is available at once */
async function capturedOrder(price = 12000, card = 'pm_card_visa') {
  const contractor = await createActiveContractor({ email: 'carla@example.com' })
  const employer = await createEmployer({ email: 'erin@example.com' }, card)
  const service = await createService(contractor, { price })
  const order = await placeTestOrder(employer, service)
  await capture(order)
  const { payment } = await stateOf(order)
  return { contractor, employer, service, order, payment }
}

/**
 * An order of two lines (charge flow: captured at once): Carla's, which she
 * delivers and the employer approves (her transfer is sent), and Olga's,
 * still waiting for her
 */
async function chargedOrder(prices: [number, number], card = 'pm_card_visa') {
  const carla = await createActiveContractor({ email: 'carla@example.com' })
  const olga = await createActiveContractor({ email: 'olga@example.com' })
  const employer = await createEmployer({ email: 'erin@example.com' }, card)
  const services: [Service, Service] = [
    await createService(carla, { title: 'Kitchen repaint', price: prices[0] }),
    await createService(olga, { title: 'Garden fence', price: prices[1] }),
  ]
  const order = await placeTestOrder(employer, services)
  const {
    lines: [paid, waiting],
  } = await stateOf(order)
  await acceptLine(order.id, paid.id, carla)
  await deliverLine(order.id, paid.id, carla)
  await approveLines(order.id, paid.id, actors.party('employer', employer.id))
  // A separate transfer can only be reversed from available funds: two days on
  await advanceSandboxClock(2 * 86_400 + 60)
  const state = await stateOf(order)
  return { carla, olga, employer, paid, waiting, ...state }
}

/** The contractor's available balance goes out to their bank, leaving `keep` */
async function payOut(contractor: User, keep: number) {
  const { available } = await contractorBalance(contractor)
  await stripe().payouts.create(
    { amount: available - keep, currency: 'usd' },
    { stripeAccount: await stripeIdOf(contractor) }
  )
}

/** The platform's own Stripe balance, available and pending together */
async function platformBalance() {
  const balance = await stripe().balance.retrieve()
  const total = (entries: { amount: number; currency: string }[]) =>
    entries
      .filter((entry) => entry.currency === 'usd')
      .reduce((sum, entry) => sum + entry.amount, 0)
  return total(balance.available) + total(balance.pending)
}

/** Every reversal Stripe has of a transfer */
async function stripeReversalsOf(transferId: string) {
  const reversals = await stripe().transfers.listReversals(transferId, { limit: 100 })
  return reversals.data
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

const usd = (amount: number) => formatAmount(amount, 'usd')

/** The order's payment as the database has it now */
async function paymentNow(order: Order) {
  const { payment } = await stateOf(order)
  return { status: payment.status, amountRefunded: payment.amountRefunded }
}

async function eventTypes(orderId: number) {
  const events = await PaymentEvent.query().where('orderId', orderId).orderBy('id')
  return events.map((event) => event.type)
}

test.group('orders:refund (one-line orders: destination charge)', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('partial then full refund: contractor and platform give back their shares to the cent', async ({
    assert,
  }) => {
    // $99.99 with a 10% fee: $10.00 (999.9 rounded half up)
    const { contractor, order, payment } = await capturedOrder(9999)
    assert.equal(payment.applicationFeeAmount, 1000)

    const partial = await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=33.33',
      '--reason=requested_by_customer',
      '--force',
    ])

    partial.assertSucceeded()
    partial.assertLogMatches(
      literally(
        'Refund $33.33 to erin@example.com: the contractor gives back $33.33 and the platform ' +
          'its $3.33 fee share (the contractor loses $30.00)'
      )
    )
    const [first] = await Refund.query().where('orderId', order.id)
    partial.assertLogMatches(
      literally(
        `Refund #${first.id} of $33.33 on order #${order.id} succeeded (${first.stripeRefundId})`
      )
    )
    partial.assertLogMatches(/partially refunded, \$33\.33 of \$99\.99 refunded/)
    assert.equal(first.status, 'succeeded')
    assert.equal(first.amount, 3333)
    assert.equal(first.paymentId, payment.id)
    assert.equal(first.cause, 'admin')
    assert.equal(first.reason, 'requested_by_customer')
    assert.isTrue(first.reverseTransfer)
    assert.isTrue(first.refundApplicationFee)
    assert.equal(first.initiatedBy, ACTOR)
    const onStripe = await stripe().refunds.retrieve(first.stripeRefundId!)
    assert.equal(onStripe.amount, 3333)
    assert.match(String(onStripe.transfer_reversal), /^trr_/)
    assert.equal(onStripe.metadata?.crewpay_refund, first.reference)
    // A re-run's request (same key, from the row) gets the same refund back
    const replayed = await replayRefund(payment, first)
    assert.equal(replayed.id, first.stripeRefundId)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)

    let { charge, transfer, fee } = await chargeOf(payment.stripeChargeId!)
    assert.equal(charge.amount_refunded, 3333)
    assert.equal(transfer?.amount_reversed, 3333)
    assert.equal(fee?.amount_refunded, 333)
    // 8999 pending from the capture; the reversal (−3333) and the fee refund (+333) are available
    assert.deepEqual(await contractorBalance(contractor), { available: -3000, pending: 8999 })
    let state = await stateOf(order)
    assert.equal(state.payment.status, 'partially_refunded')
    assert.equal(state.payment.amountRefunded, 3333)
    // The destination transfer's row says what Stripe took back, to the cent
    assert.equal(state.transfers[0].amountReversed, 3333)
    const succeeded = await PaymentEvent.query()
      .where('refundId', first.id)
      .where('type', 'refund.succeeded')
      .firstOrFail()
    assert.equal(succeeded.actor, ACTOR)
    assert.equal(succeeded.stripeId, first.stripeRefundId)
    assert.equal(succeeded.amount, 3333)
    const settled = await PaymentEvent.query()
      .where('paymentId', payment.id)
      .where('type', 'payment.partially_refunded')
      .firstOrFail()
    assert.equal(settled.amount, 3333)
    assert.match(settled.message!, /\$33\.33 of \$99\.99/)

    const rest = await runCommand(OrdersRefund, [String(order.id), '--force'])

    rest.assertSucceeded()
    rest.assertLogMatches(
      /Refund \$66\.66 to erin@example\.com: the contractor gives back \$66\.66 and the platform its \$6\.67 fee share/
    )
    ;({ charge, transfer, fee } = await chargeOf(payment.stripeChargeId!))
    assert.equal(charge.amount_refunded, 9999)
    assert.isTrue(transfer?.reversed)
    assert.equal(fee?.amount_refunded, 1000)
    assert.deepEqual(await contractorBalance(contractor), { available: -8999, pending: 8999 })
    const second = await Refund.query()
      .where('orderId', order.id)
      .orderBy('id', 'desc')
      .firstOrFail()
    assert.equal(second.amount, 6666)
    const replayedSecond = await replayRefund(payment, second)
    assert.equal(replayedSecond.id, second.stripeRefundId)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 2)
    state = await stateOf(order)
    assert.equal(state.payment.status, 'refunded')
    assert.equal(state.payment.amountRefunded, 9999)
    assert.equal(state.transfers[0].amountReversed, 9999)
    const types = await eventTypes(order.id)
    assert.deepEqual(types.slice(-8), [
      'refund.requested',
      'refund.succeeded',
      'payment.partially_refunded',
      'transfer.reversed',
      'refund.requested',
      'refund.succeeded',
      'payment.refunded',
      'transfer.reversed',
    ])

    // The same command line again: nothing is left, nothing twice
    const again = await runCommand(OrdersRefund, [String(order.id), '--force'])
    again.assertExitCode(1)
    const [error] = errorsOf(again)
    assert.match(error, new RegExp(`Nothing is left to refund on order #${order.id}\\b`))
    assert.match(error, /\$99\.99 captured, \$99\.99 refunded/)
    assert.notMatch(error, /--repeat/)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 2)
    assert.lengthOf(await Refund.query().where('orderId', order.id), 2)
  })

  test('a re-run of the same partial refund does nothing; --repeat makes a second one', async ({
    assert,
  }) => {
    const { contractor, order, payment } = await capturedOrder(12000)
    const first = await runCommand(OrdersRefund, [String(order.id), '--amount=20.00', '--force'])
    first.assertSucceeded()
    const refund = await Refund.findByOrFail('orderId', order.id)

    const again = await runCommand(OrdersRefund, [String(order.id), '--amount=20', '--force'])

    again.assertSucceeded()
    again.assertLogMatches(
      literally(`Refund #${refund.id} of $20.00 on order #${order.id} already succeeded`)
    )
    again.assertLogMatches(/nothing was done.*--repeat/)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)
    assert.lengthOf(await Refund.query().where('orderId', order.id), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: -1800, pending: 10800 })

    const repeated = await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=20.00',
      '--repeat',
      '--force',
    ])
    repeated.assertSucceeded()
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 2)
    assert.lengthOf(await Refund.query().where('orderId', order.id), 2)
    assert.deepEqual(await paymentNow(order), {
      status: 'partially_refunded',
      amountRefunded: 4000,
    })
    assert.deepEqual(await contractorBalance(contractor), { available: -3600, pending: 10800 })
  })

  test('never refunds more than is left, counting refunds still pending', async ({ assert }) => {
    const { order, payment } = await capturedOrder(12000)
    await runCommand(OrdersRefund, [String(order.id), '--amount=100.00', '--force'])

    const over = await runCommand(OrdersRefund, [String(order.id), '--amount=30.00', '--force'])
    over.assertExitCode(1)
    assert.match(
      errorsOf(over)[0],
      /Cannot refund \$30\.00: only \$20\.00 of order #\d+ is left to refund \(\$120\.00 captured, \$100\.00 refunded\)/
    )

    // Another admin's refund, written and not answered yet
    const inFlight = await Refund.create({
      orderId: order.id,
      paymentId: payment.id,
      cause: 'admin',
      amount: 1500,
      currency: 'usd',
      reverseTransfer: true,
      refundApplicationFee: true,
      status: 'pending',
      initiatedBy: 'console:someone',
    })
    const blocked = await runCommand(OrdersRefund, [String(order.id), '--amount=4.00', '--force'])
    blocked.assertExitCode(1)
    const [pendingError] = errorsOf(blocked)
    assert.match(
      pendingError,
      literally(`Refund #${inFlight.id} of $15.00 on order #${order.id} (by console:someone)`)
    )
    assert.match(pendingError, /still pending.*--amount=15\.00.*stripe:reconcile --fix/)
    const counted = await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=10.00',
      '--repeat',
      '--force',
    ])
    counted.assertExitCode(1)
    assert.match(
      errorsOf(counted)[0],
      /Cannot refund \$10\.00: only \$5\.00 .* left to refund \(\$120\.00 captured, \$100\.00 refunded, \$15\.00 pending\)/
    )

    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)
    assert.lengthOf(await Refund.query().where('orderId', order.id), 2)
    assert.deepEqual(await paymentNow(order), {
      status: 'partially_refunded',
      amountRefunded: 10000,
    })
  })

  test('--keep-fee: the contractor gives back the whole amount, the platform keeps its fee', async ({
    assert,
  }) => {
    const { contractor, order, payment } = await capturedOrder(12000)

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
    const { transfer, fee } = await chargeOf(payment.stripeChargeId!)
    assert.equal(transfer?.amount_reversed, 5000)
    assert.equal(fee?.amount_refunded, 0)
    assert.deepEqual(await contractorBalance(contractor), { available: -5000, pending: 10800 })
  })

  test('--no-reverse-transfer: the platform pays it all, the contractor keeps their money', async ({
    assert,
  }) => {
    const { contractor, order, payment } = await capturedOrder(12000)

    const command = await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=50.00',
      '--no-reverse-transfer',
      '--force',
    ])

    command.assertSucceeded()
    command.assertLogMatches(
      /the platform pays all of it; the contractor keeps what they were paid/
    )
    const refund = await Refund.findByOrFail('orderId', order.id)
    assert.isFalse(refund.reverseTransfer)
    assert.isFalse(refund.refundApplicationFee)
    const onStripe = await stripe().refunds.retrieve(refund.stripeRefundId!)
    assert.isNull(onStripe.transfer_reversal)
    const { charge, transfer, fee } = await chargeOf(payment.stripeChargeId!)
    assert.equal(charge.amount_refunded, 5000)
    assert.equal(transfer?.amount_reversed, 0)
    assert.equal(fee?.amount_refunded, 0)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 10800 })
    assert.deepEqual(await paymentNow(order), {
      status: 'partially_refunded',
      amountRefunded: 5000,
    })
  })

  test("the contractor's balance cannot cover the reversal: refused plainly, nothing moves", async ({
    assert,
  }) => {
    const { contractor, order, payment } = await capturedOrder(12000, 'pm_card_bypassPending')
    await payOut(contractor, 800)

    const command = await runCommand(OrdersRefund, [String(order.id), '--amount=50.00', '--force'])

    command.assertExitCode(1)
    const errors = errorsOf(command)
    assert.lengthOf(errors, 1)
    assert.match(
      errors[0],
      /balance \(\$8\.00\) cannot cover giving back their \$45\.00 share of this \$50\.00 refund: nothing was refunded/
    )
    assert.match(
      errors[0],
      /a \$45\.00 debit owed by the contractor, re-run with --platform-covers/
    )
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 0)
    assert.deepEqual(await contractorBalance(contractor), { available: 800, pending: 0 })
    const refund = await Refund.findByOrFail('orderId', order.id)
    assert.equal(refund.status, 'failed')
    assert.isNull(refund.stripeRefundId)
    const state = await stateOf(order)
    assert.equal(state.payment.status, 'succeeded')
    assert.equal(state.payment.amountRefunded, 0)
    assert.lengthOf(await ContractorDebit.all(), 0)
  })

  test('--platform-covers: the platform refunds, the contractor owes their share as a debit', async ({
    assert,
  }) => {
    const { contractor, employer, service, order, payment } = await capturedOrder(
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
    const { line } = await stateOf(order)
    assert.equal(debit.orderLineId, line.id)
    assert.equal(debit.contractorId, contractor.id)
    assert.isNull(debit.stripeId)
    command.assertLogMatches(
      new RegExp(`Refund #${refused.id} was refused: .*balance cannot cover.*platform covers`)
    )
    command.assertLogMatches(
      literally(
        `Debit #${debit.id}: the contractor owes $45.00 (their share). Collect it with: ` +
          `node ace contractors:debit ${contractor.id} --collect=${debit.id}`
      )
    )

    const replayed = await replayRefund(payment, covered)
    assert.equal(replayed.id, covered.stripeRefundId)
    const refunds = await stripeRefundsOf(payment.stripePaymentIntentId!)
    assert.lengthOf(refunds, 1)
    assert.equal(refunds[0].amount, 5000)
    assert.isNull(refunds[0].transfer_reversal)
    const { fee } = await chargeOf(payment.stripeChargeId!)
    assert.equal(fee?.amount_refunded, 0)
    assert.deepEqual(await contractorBalance(contractor), { available: 800, pending: 0 })
    const state = await stateOf(order)
    assert.equal(state.payment.status, 'partially_refunded')
    assert.equal(state.payment.amountRefunded, 5000)
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
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)
    assert.lengthOf(await ContractorDebit.all(), 1)

    // Collecting it: refused up front while the balance is short (Stripe is not asked), it stays owed
    const early = await stripeWritesDuring(() =>
      runCommand(ContractorsDebit, [contractor.email, `--collect=${debit.id}`, '--force'])
    )
    early.result.assertExitCode(1)
    assert.match(
      errorsOf(early.result)[0],
      /available Stripe balance \(\$8\.00\) cannot cover this \$45\.00 debit: nothing was charged/
    )
    assert.deepEqual(early.writes, [])
    await debit.refresh()
    assert.equal(debit.status, 'owed')

    // A new order pays the contractor: the debit is collected, once
    const next = await placeTestOrder(employer, service)
    await capture(next)
    const collected = await runCommand(ContractorsDebit, [
      contractor.email,
      `--collect=${debit.id}`,
      '--force',
    ])
    collected.assertSucceeded()
    await debit.refresh()
    assert.equal(debit.status, 'succeeded')
    assert.match(debit.stripeId!, /^py_/)
    collected.assertLogMatches(
      literally(`Debit #${debit.id} of $45.00 from carla@example.com succeeded (${debit.stripeId})`)
    )
    assert.deepEqual(await contractorBalance(contractor), {
      available: 800 + 10800 - 4500,
      pending: 0,
    })
    const charge = await stripe().charges.retrieve(debit.stripeId!)
    assert.equal(charge.amount, 4500)
    // The collection's key comes from the row: replaying it gets the same payment
    const replayedDebit = await replayDebit(debit, debit.attempts)
    assert.equal(replayedDebit.id, debit.stripeId)
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
    const { contractor, order, payment } = await capturedOrder(12000, 'pm_card_bypassPending')
    await payOut(contractor, 800)
    await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=50.00',
      '--platform-covers',
      '--force',
    ])
    const plain = await runCommand(OrdersRefund, [String(order.id), '--force'])
    plain.assertExitCode(1)
    const [error] = errorsOf(plain)
    assert.match(error, /Refunding the \$70\.00 left on order #\d+ with reverse_transfer/)
    assert.match(
      error,
      /reverse \$120\.00 of the contractor's transfer \(their share: \$70\.00\) and give back \$12\.00 of the platform's fee \(its share: \$7\.00\)/
    )
    assert.match(error, /Nothing was refunded\. Use --platform-covers .*\$63\.00 share/)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)
    assert.lengthOf(await Refund.query().where('orderId', order.id), 2)

    const covered = await runCommand(OrdersRefund, [
      String(order.id),
      '--platform-covers',
      '--force',
    ])
    covered.assertSucceeded()
    covered.assertLogMatches(
      /Refund \$70\.00 to erin@example\.com: the platform pays all of it .* the contractor owes their \$63\.00 share as a debit/
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
    const { transfer, fee } = await chargeOf(payment.stripeChargeId!)
    assert.equal(transfer?.amount_reversed, 0)
    assert.equal(fee?.amount_refunded, 0)
    assert.deepEqual(await paymentNow(order), { status: 'refunded', amountRefunded: 12000 })
  })

  test('after a --no-reverse-transfer refund, refunding the rest never takes back the part the platform paid', async ({
    assert,
  }) => {
    const { contractor, order, payment } = await capturedOrder(12000)
    await runCommand(OrdersRefund, [
      String(order.id),
      '--amount=50.00',
      '--no-reverse-transfer',
      '--force',
    ])

    const plain = await runCommand(OrdersRefund, [String(order.id), '--force'])

    plain.assertExitCode(1)
    const [error] = errorsOf(plain)
    assert.match(
      error,
      /would reverse \$120\.00 of the contractor's transfer \(their share: \$70\.00\) and give back \$12\.00 of the platform's fee \(its share: \$7\.00\)/
    )
    assert.match(error, /--platform-covers .*\$63\.00 share.* or --no-reverse-transfer/)
    // The fee is given back beyond its share too: --keep-fee would not help
    assert.notMatch(error, /--keep-fee/)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)
    assert.lengthOf(await Refund.all(), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 10800 })

    // With --platform-covers: the platform refunds, the contractor owes their $63.00 share
    const covered = await runCommand(OrdersRefund, [
      String(order.id),
      '--platform-covers',
      '--force',
    ])
    covered.assertSucceeded()
    const { transfer, fee } = await chargeOf(payment.stripeChargeId!)
    assert.equal(transfer?.amount_reversed, 0)
    assert.equal(fee?.amount_refunded, 0)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 10800 })
    const [debit] = await ContractorDebit.all()
    assert.equal(debit.amount, 6300)
    assert.equal(debit.status, 'owed')
    assert.deepEqual(await paymentNow(order), { status: 'refunded', amountRefunded: 12000 })
  })

  test('after a --keep-fee refund, refunding the rest never gives back the fee the platform kept', async ({
    assert,
  }) => {
    const { contractor, order, payment } = await capturedOrder(12000)
    await runCommand(OrdersRefund, [String(order.id), '--amount=50.00', '--keep-fee', '--force'])

    const plain = await runCommand(OrdersRefund, [String(order.id), '--force'])

    plain.assertExitCode(1)
    const [error] = errorsOf(plain)
    assert.match(error, /would give back \$12\.00 of the platform's fee \(its share: \$7\.00\)/)
    // The reversal itself is within the share: only the fee is in question
    assert.notMatch(error, /would reverse/)
    assert.match(
      error,
      /--platform-covers .*\$63\.00 share.* or --keep-fee .* or --no-reverse-transfer/
    )
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)

    const { transfer, fee } = await chargeOf(payment.stripeChargeId!)
    assert.equal(transfer?.amount_reversed, 5000)
    assert.equal(fee?.amount_refunded, 0)
    assert.deepEqual(await contractorBalance(contractor), { available: -5000, pending: 10800 })
  })

  test('a refund of everything left after proportional ones settles the rounding remainders', async ({
    assert,
  }) => {
    // $99.99, fee $10.00: three refunds of $33.33 each round their shares
    const { order, payment } = await capturedOrder(9999)
    for (const argv of [['--amount=33.33'], ['--amount=33.33', '--repeat'], []]) {
      const command = await runCommand(OrdersRefund, [String(order.id), ...argv, '--force'])
      command.assertSucceeded()
    }
    const { transfer, fee } = await chargeOf(payment.stripeChargeId!)
    assert.equal(transfer?.amount_reversed, 9999)
    assert.equal(fee?.amount_refunded, 1000)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 3)
  })

  test('a re-run completes the pending refund a crash left, never a second one', async ({
    assert,
  }) => {
    const { contractor, order, payment } = await capturedOrder(12000)
    // The first run wrote its row and reached Stripe, then died before recording the answer
    const crashed = await Refund.create({
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
    const sent = await replayRefund(payment, crashed)

    const rerun = await runCommand(OrdersRefund, [String(order.id), '--amount=50.00', '--force'])

    rerun.assertSucceeded()
    rerun.assertLogMatches(
      literally(
        `Refund #${crashed.id} (from an earlier run) of $50.00 on order #${order.id} succeeded (${sent.id})`
      )
    )
    await crashed.refresh()
    assert.equal(crashed.status, 'succeeded')
    assert.equal(crashed.stripeRefundId, sent.id)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)
    assert.lengthOf(await Refund.all(), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: -4500, pending: 10800 })
    assert.deepEqual(await paymentNow(order), {
      status: 'partially_refunded',
      amountRefunded: 5000,
    })

    // A crash before Stripe was reached: the re-run sends it, with the row's key
    const unsent = await Refund.create({
      orderId: order.id,
      paymentId: payment.id,
      cause: 'admin',
      amount: 1000,
      currency: 'usd',
      reverseTransfer: true,
      refundApplicationFee: true,
      status: 'pending',
      initiatedBy: ACTOR,
    })
    const second = await runCommand(OrdersRefund, [String(order.id), '--amount=10.00', '--force'])
    second.assertSucceeded()
    const refunds = await stripeRefundsOf(payment.stripePaymentIntentId!)
    assert.lengthOf(refunds, 2)
    assert.equal(refunds[0].metadata?.crewpay_refund, unsent.reference)
    await unsent.refresh()
    assert.equal(unsent.stripeRefundId, refunds[0].id)
    assert.lengthOf(await Refund.all(), 2)
    assert.deepEqual(await paymentNow(order), {
      status: 'partially_refunded',
      amountRefunded: 6000,
    })
  })

  test('Stripe unreachable before deciding who pays: nothing is written', async ({ assert }) => {
    const { order, payment } = await capturedOrder(12000)

    // With reverse_transfer the refund is decided from Stripe's charge
    const undecided = await withStripeUnreachable(() =>
      runCommand(OrdersRefund, [String(order.id), '--amount=50.00', '--force'])
    )

    undecided.assertExitCode(1)
    assert.match(errorsOf(undecided)[0], /Stripe did not answer: nothing was done/)
    assert.lengthOf(await Refund.all(), 0)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 0)
    assert.deepEqual(await paymentNow(order), { status: 'succeeded', amountRefunded: 0 })
  })

  test('Stripe unreachable: the refund stays pending and the same command completes it once', async ({
    assert,
  }) => {
    const { contractor, order, payment } = await capturedOrder(12000)

    // Without reversal the row is written first; Stripe's silence leaves it pending
    const argv = [String(order.id), '--amount=50.00', '--no-reverse-transfer', '--force']
    const unreachable = await withStripeUnreachable(() => runCommand(OrdersRefund, argv))

    unreachable.assertExitCode(1)
    const refund = await Refund.findByOrFail('orderId', order.id)
    assert.match(
      errorsOf(unreachable)[0],
      literally(`Stripe did not answer: refund #${refund.id} of $50.00`)
    )
    assert.match(errorsOf(unreachable)[0], /stays pending\. Run the same command again/)
    assert.equal(refund.status, 'pending')
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 0)

    const rerun = await runCommand(OrdersRefund, argv)

    rerun.assertSucceeded()
    rerun.assertLogMatches(
      new RegExp(`Refund #${refund.id} \\(from an earlier run\\) of \\$50\\.00`)
    )
    const refunds = await stripeRefundsOf(payment.stripePaymentIntentId!)
    assert.lengthOf(refunds, 1)
    assert.equal(refunds[0].metadata?.crewpay_refund, refund.reference)
    assert.lengthOf(await Refund.all(), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 10800 })
  })

  test('two refunds at once: the second is checked under the lock against the first one’s pending row', async ({
    assert,
  }) => {
    const { order, payment } = await capturedOrder(12000)

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
    const reason = (bob as PromiseRejectedResult).reason.message
    assert.match(
      reason,
      literally(
        `Refund #${refund.id} of $70.00 on order #${order.id} (by console:alice) is still pending`
      )
    )
    // Refused before a row was written or Stripe was asked
    assert.lengthOf(await Refund.all(), 1)
    const refunds = await stripeRefundsOf(payment.stripePaymentIntentId!)
    assert.lengthOf(refunds, 1)
    assert.equal(refunds[0].amount, 7000)
    assert.deepEqual(await paymentNow(order), {
      status: 'partially_refunded',
      amountRefunded: 7000,
    })
  })

  test('after a partial capture, refunds count only captured money (command and webhook agree)', async ({
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const service = await createService(contractor, { price: 12000 })
    const order = await placeTestOrder(employer, service)
    const captured = await runCommand(OrdersCapture, [
      String(order.id),
      '--amount=50.00',
      '--force',
    ])
    captured.assertSucceeded()
    const { payment } = await stateOf(order)
    assert.equal(payment.amountCaptured, 5000)

    const command = await runCommand(OrdersRefund, [String(order.id), '--amount=20.00', '--force'])

    command.assertSucceeded()
    command.assertLogMatches(/partially refunded, \$20\.00 of \$50\.00 refunded/)
    assert.deepEqual(await paymentNow(order), {
      status: 'partially_refunded',
      amountRefunded: 2000,
    })

    // Stripe's charge.refunded (its amount_refunded also counts the released $70)
    const events = await stripe().events.list({ type: 'charge.refunded', limit: 10 })
    const refunded = events.data.find(
      (event) => (event.data.object as { id: string }).id === payment.stripeChargeId
    )!
    assert.equal((refunded.data.object as { amount_refunded: number }).amount_refunded, 9000)
    await receiveStripeEvent(refunded)
    await runJobs(['apply_stripe_event'])
    let state = await stateOf(order)
    assert.equal(state.payment.status, 'partially_refunded')
    assert.equal(state.payment.amountRefunded, 2000)

    const rest = await runCommand(OrdersRefund, [String(order.id), '--force'])
    rest.assertSucceeded()
    state = await stateOf(order)
    assert.equal(state.payment.status, 'refunded')
    assert.equal(state.payment.amountRefunded, 5000)
    const { fee } = await chargeOf(payment.stripeChargeId!)
    assert.equal(fee?.amount_refunded, 500)
  })

  test('a refund made on Stripe behind the app’s back: Stripe’s refusal says to reconcile', async ({
    assert,
  }) => {
    const { order, payment } = await capturedOrder(12000)
    await stripe().refunds.create({ payment_intent: payment.stripePaymentIntentId!, amount: 2000 })

    const refused = await runCommand(OrdersRefund, [String(order.id), '--force'])

    refused.assertExitCode(1)
    const [row] = await Refund.all()
    const [error] = errorsOf(refused)
    assert.match(error, literally(`Stripe refused refund #${row.id}`))
    assert.match(error, /less left to refund .* run stripe:reconcile.*Nothing was refunded/)
    assert.equal(row.status, 'failed')
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)

    await runCommand(StripeReconcile, ['--fix', '--force'])
    // The Dashboard refund reversed nothing: refunding the rest with reverse_transfer would
    // make Stripe take the whole transfer back for $100.00
    const overreach = await runCommand(OrdersRefund, [String(order.id), '--force'])
    overreach.assertExitCode(1)
    assert.match(
      errorsOf(overreach)[0],
      /would reverse \$120\.00 of the contractor's transfer \(their share: \$100\.00\) and give back \$12\.00 of the platform's fee \(its share: \$10\.00\)/
    )
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)

    const rest = await runCommand(OrdersRefund, [
      String(order.id),
      '--no-reverse-transfer',
      '--force',
    ])
    rest.assertSucceeded()
    rest.assertLogMatches(
      /of \$100\.00 on order #\d+ succeeded .*refunded, \$120\.00 of \$120\.00 refunded/
    )
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 2)
    const { transfer } = await chargeOf(payment.stripeChargeId!)
    assert.equal(transfer?.amount_reversed, 0)
    assert.deepEqual(await paymentNow(order), { status: 'refunded', amountRefunded: 12000 })
  })

  test('refuses what cannot be refunded and bad input, in one line, changing nothing', async ({
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const service = await createService(contractor, { price: 12000 })
    const held = await placeTestOrder(employer, service)
    const order = await placeTestOrder(employer, service)
    await capture(order)
    const { payment } = await stateOf(order)

    const cases: [string[], RegExp][] = [
      [[String(held.id)], new RegExp(`order #${held.id}: it is not captured yet .*orders:cancel`)],
      [[String(order.id), '--amount=-5'], /^The amount cannot be negative\.$/],
      [[String(order.id), '--amount=0'], /must be more than zero/],
      [[String(order.id), '--amount=1.234'], /^USD amounts have at most 2 decimals\.$/],
      [[String(order.id), '--amount=abc'], /^"abc" is not an amount/],
      [[String(order.id), '--amount=99999999999999999999'], /^The amount is too large/],
      [
        [String(order.id), '--reason=changed_my_mind'],
        /--reason must be one of: duplicate, fraudulent, requested_by_customer/,
      ],
      [[String(order.id), '--line=abc'], /--line must be a line number/],
      [[String(order.id), '--line=999'], new RegExp(`Order #${order.id} has no line #999`)],
      [['31337'], /^Order #31337 does not exist\.$/],
    ]
    for (const [argv, message] of cases) {
      const command = await runCommand(OrdersRefund, [...argv, '--force'])
      command.assertExitCode(1)
      const errors = errorsOf(command)
      assert.lengthOf(errors, 1, argv.join(' '))
      const text = errors[0].replace(/^\[ red\(error\) \] /, '')
      assert.match(text, message, argv.join(' '))
      assert.notMatch(text, /Unexpected error/, argv.join(' '))
    }

    const noTerminal = await withoutTerminal(() =>
      runCommand(OrdersRefund, [String(order.id), '--amount=10.00'])
    )
    noTerminal.assertExitCode(1)
    assert.match(
      errorsOf(noTerminal)[0],
      /No terminal to confirm on: nothing was done\. Re-run with --force/
    )
    const declined = await runCommand(OrdersRefund, [String(order.id), '--amount=10.00'], (c) => {
      c.prompt.trap(`Refund $10.00 of order #${order.id}?`).reject()
    })
    declined.assertExitCode(1)

    assert.lengthOf(await Refund.all(), 0)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 0)

    const confirmed = await runCommand(OrdersRefund, [String(order.id), '--amount=10.00'], (c) => {
      c.prompt.trap(`Refund $10.00 of order #${order.id}?`).accept()
    })
    confirmed.assertSucceeded()
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)
  })
})

test.group('orders:refund (orders of several lines: separate transfers)', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test("--line: the contractor's share comes back from that line's transfer, the platform pays the rest, to the cent", async ({
    assert,
  }) => {
    // $99.99 (fee $10.00, Carla receives $89.99) and $50.00 of Olga's, not started
    const { carla, olga, order, paid, waiting, payment, transfers } = await chargedOrder([
      9999, 5000,
    ])
    assert.equal(payment.flow, 'charge')
    assert.equal(payment.amountCaptured, 14999)
    assert.lengthOf(transfers, 1)
    const [transfer] = transfers
    assert.equal(transfer.orderLineId, paid.id)
    assert.equal(transfer.amount, 8999)
    assert.equal(transfer.status, 'paid')
    const carlaBefore = await contractorBalance(carla)
    const platformBefore = await platformBalance()

    // Three refunds of $33.33: each share rounded; the last one settles what is left
    const shares: [number, number][] = []
    for (const argv of [['--amount=33.33'], ['--amount=33.33', '--repeat'], []]) {
      const command = await runCommand(OrdersRefund, [
        String(order.id),
        `--line=${paid.id}`,
        ...argv,
        '--force',
      ])
      command.assertSucceeded()
      // The summary gives the line's own figures
      const refundedBefore = shares.reduce((sum, [amount]) => sum + amount, 0)
      command.assertLogMatches(
        literally(
          `line #${paid.id} “Kitchen repaint” of order #${order.id} (payment ` +
            `${refundedBefore ? 'partially refunded' : 'succeeded'}): $99.99 of the $149.99 ` +
            `captured from erin@example.com for carla@example.com, ${usd(refundedBefore)} ` +
            `refunded, ${usd(9999 - refundedBefore)} left`
        )
      )
      const refund = await Refund.query()
        .where('orderId', order.id)
        .orderBy('id', 'desc')
        .firstOrFail()
      const reversal = await TransferReversal.findByOrFail('refundId', refund.id)
      shares.push([refund.amount, reversal.amount])
      command.assertLogMatches(
        literally(
          `the contractor gives back ${usd(reversal.amount)} of their transfer and the ` +
            `platform pays the other ${usd(refund.amount - reversal.amount)}`
        )
      )
      assert.equal(refund.status, 'succeeded')
      assert.equal(refund.orderLineId, paid.id)
      assert.equal(refund.paymentId, payment.id)
      assert.equal(reversal.status, 'succeeded')
      assert.equal(reversal.transferId, transfer.id)
      assert.match(reversal.stripeReversalId!, /^trr_/)
      const onStripe = await stripe().refunds.retrieve(refund.stripeRefundId!)
      assert.equal(onStripe.amount, refund.amount)
      assert.equal(onStripe.metadata?.order_line_id, String(paid.id))
    }
    // 8999 × 3333 / 9999 = 2999.67 → 3000; the running total then gives 2999 and the last 3000
    assert.deepEqual(shares, [
      [3333, 3000],
      [3333, 2999],
      [3333, 3000],
    ])

    // On Stripe: three refunds of the payment, three reversals of Carla's transfer, all of it back
    const refunds = await stripeRefundsOf(payment.stripePaymentIntentId!)
    assert.deepEqual(
      refunds.map((refund) => refund.amount),
      [3333, 3333, 3333]
    )
    const reversals = await stripeReversalsOf(transfer.stripeTransferId!)
    assert.sameMembers(
      reversals.map((reversal) => reversal.amount),
      [3000, 2999, 3000]
    )
    const onStripe = await stripe().transfers.retrieve(transfer.stripeTransferId!)
    assert.equal(onStripe.amount_reversed, 8999)
    // Carla gives back all she received; the platform pays its $10.00 fee; Olga is untouched
    const carlaAfter = await contractorBalance(carla)
    assert.equal(
      carlaAfter.available + carlaAfter.pending - carlaBefore.available - carlaBefore.pending,
      -8999
    )
    assert.equal((await platformBalance()) - platformBefore, -1000)
    assert.deepEqual(await contractorBalance(olga), { available: 0, pending: 0 })

    const state = await stateOf(order)
    assert.equal(state.payment.status, 'partially_refunded')
    assert.equal(state.payment.amountRefunded, 9999)
    assert.equal(state.transfers[0].amountReversed, 8999)
    const reversed = await PaymentEvent.query()
      .where('transferId', transfer.id)
      .where('type', 'transfer.reversed')
    assert.deepEqual(
      reversed.map((event) => event.amount),
      [3000, 2999, 3000]
    )

    // Nothing is left of that line; Olga's line is not approved; the order needs a line
    const cases: [string[], RegExp][] = [
      [
        [`--line=${paid.id}`],
        new RegExp(`Nothing is left to refund on line #${paid.id} of order #${order.id}`),
      ],
      [
        [`--line=${waiting.id}`, '--amount=10.00'],
        new RegExp(`Cannot refund line #${waiting.id}: it is not approved yet`),
      ],
      [[], new RegExp(`Order #${order.id} has 2 lines: say which one to refund with --line`)],
    ]
    for (const [argv, message] of cases) {
      const command = await runCommand(OrdersRefund, [String(order.id), ...argv, '--force'])
      command.assertExitCode(1)
      assert.match(errorsOf(command)[0], message, argv.join(' '))
    }
    assert.lengthOf(await Refund.all(), 3)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 3)
  })

  test("--line with STRIPE_FEE_PASSTHROUGH: the contractor's reversal and the platform's part add up to each refund, to the cent", async ({
    assert,
  }) => {
    app.config.set('marketplace.stripeFeePassthrough', true)
    try {
      const { carla, olga, order, paid, payment, transfers } = await chargedOrder([9999, 5000])
      const [transfer] = transfers
      // Carla's transfer bore her share of Stripe's fee on the charge
      assert.isAbove(payment.stripeFee!, 0)
      assert.isAbove(transfer.stripeFeeShare, 0)
      assert.isBelow(transfer.stripeFeeShare, payment.stripeFee!)
      assert.equal(transfer.amount, 9999 - 1000 - transfer.stripeFeeShare)
      const carlaBefore = await contractorBalance(carla)
      const platformBefore = await platformBalance()

      // Part of the line, then the rest
      const parts: [number, number][] = []
      for (const argv of [['--amount=40.00'], []]) {
        const command = await runCommand(OrdersRefund, [
          String(order.id),
          `--line=${paid.id}`,
          ...argv,
          '--force',
        ])
        command.assertSucceeded()
        const refund = await Refund.query()
          .where('orderId', order.id)
          .orderBy('id', 'desc')
          .firstOrFail()
        const reversal = await TransferReversal.findByOrFail('refundId', refund.id)
        assert.equal(refund.status, 'succeeded')
        assert.equal(reversal.status, 'succeeded')
        const platformPart = refund.amount - reversal.amount
        command.assertLogMatches(
          literally(
            `the contractor gives back ${usd(reversal.amount)} of their transfer and the ` +
              `platform pays the other ${usd(platformPart)}`
          )
        )
        const onStripe = await stripe().refunds.retrieve(refund.stripeRefundId!)
        assert.equal(onStripe.amount, refund.amount)
        const { amount: reversedOnStripe } = await stripe().transfers.retrieveReversal(
          transfer.stripeTransferId!,
          reversal.stripeReversalId!
        )
        assert.equal(reversedOnStripe, reversal.amount)
        parts.push([refund.amount, reversal.amount])
      }
      // $40.00 of $99.99: 40% of what Carla received (rounded), the last refund settles the rest
      const firstShare = Math.round((transfer.amount * 4000) / 9999)
      assert.deepEqual(parts, [
        [4000, firstShare],
        [5999, transfer.amount - firstShare],
      ])

      // Carla gives back all she received; the platform pays its fee and the Stripe fee she had borne
      const carlaAfter = await contractorBalance(carla)
      assert.equal(
        carlaAfter.available + carlaAfter.pending - carlaBefore.available - carlaBefore.pending,
        -transfer.amount
      )
      assert.equal((await platformBalance()) - platformBefore, -(1000 + transfer.stripeFeeShare))
      assert.equal(transfer.amount + 1000 + transfer.stripeFeeShare, 9999)
      assert.deepEqual(await contractorBalance(olga), { available: 0, pending: 0 })
      const state = await stateOf(order)
      assert.equal(state.payment.amountRefunded, 9999)
      assert.equal(state.transfers[0].amountReversed, transfer.amount)
    } finally {
      app.config.set('marketplace.stripeFeePassthrough', false)
    }
  })

  test('--line: never more than is left of the line; a re-run does nothing', async ({ assert }) => {
    const { order, paid, payment, transfers } = await chargedOrder([12000, 8000])

    const over = await runCommand(OrdersRefund, [
      String(order.id),
      `--line=${paid.id}`,
      '--amount=130.00',
      '--force',
    ])
    over.assertExitCode(1)
    assert.match(
      errorsOf(over)[0],
      new RegExp(
        `Cannot refund \\$130\\.00: only \\$120\\.00 of line #${paid.id} of order #${order.id} is left to refund`
      )
    )

    const argv = [String(order.id), `--line=${paid.id}`, '--amount=50.00', '--force']
    const first = await runCommand(OrdersRefund, argv)
    first.assertSucceeded()
    const again = await runCommand(OrdersRefund, argv)
    again.assertSucceeded()
    again.assertLogMatches(/already succeeded.*nothing was done/)

    assert.lengthOf(await Refund.all(), 1)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)
    // $50 of $120: 10800 × 5000 / 12000 = 4500 from Carla, $5.00 from the platform
    const reversals = await stripeReversalsOf(transfers[0].stripeTransferId!)
    assert.deepEqual(
      reversals.map((reversal) => reversal.amount),
      [4500]
    )
    const state = await stateOf(order)
    assert.equal(state.payment.amountRefunded, 5000)
    assert.equal(state.transfers[0].amountReversed, 4500)

    // Another admin's refund of the line, written and not answered yet: the way to complete it
    // names the line
    const inFlight = await Refund.create({
      orderId: order.id,
      paymentId: payment.id,
      orderLineId: paid.id,
      cause: 'admin',
      amount: 1500,
      currency: 'usd',
      reverseTransfer: true,
      refundApplicationFee: true,
      status: 'pending',
      initiatedBy: 'console:someone',
    })
    const blocked = await runCommand(OrdersRefund, [
      String(order.id),
      `--line=${paid.id}`,
      '--amount=10.00',
      '--force',
    ])
    blocked.assertExitCode(1)
    assert.match(
      errorsOf(blocked)[0],
      literally(
        `Refund #${inFlight.id} of $15.00 on order #${order.id} (by console:someone) is still ` +
          `pending: its outcome on Stripe is not known yet. Complete it first: re-run it ` +
          `(--line=${paid.id} --amount=15.00)`
      )
    )
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)
  })

  test('--keep-fee and --no-reverse-transfer on a line: who pays follows the flags, the rest stays proportional', async ({
    assert,
  }) => {
    const { carla, order, paid, payment, transfers } = await chargedOrder([12000, 8000])
    const [transfer] = transfers
    const carlaBefore = await contractorBalance(carla)
    const platformBefore = await platformBalance()
    const refund = (...argv: string[]) =>
      runCommand(OrdersRefund, [String(order.id), `--line=${paid.id}`, ...argv, '--force'])

    // Fee kept: Carla gives back the whole $20.00
    const keepFee = await refund('--amount=20.00', '--keep-fee')
    keepFee.assertSucceeded()
    keepFee.assertLogMatches(/the contractor gives back \$20\.00 of their transfer\.$/)
    // No reversal: the platform pays the $30.00
    const platformPays = await refund('--amount=30.00', '--no-reverse-transfer')
    platformPays.assertSucceeded()
    platformPays.assertLogMatches(
      /the platform pays all of it; the contractor keeps what they were paid/
    )
    // The $70.00 left: Carla's share of the line's last $70.00 is 10800 − 10800 × 50 / 120 = 6300
    const rest = await refund()
    rest.assertSucceeded()
    rest.assertLogMatches(
      /the contractor gives back \$63\.00 of their transfer and the platform pays the other \$7\.00/
    )

    const refunds = await Refund.query().orderBy('id')
    assert.deepEqual(
      refunds.map((row) => [row.amount, row.reverseTransfer, row.refundApplicationFee, row.status]),
      [
        [2000, true, false, 'succeeded'],
        [3000, false, false, 'succeeded'],
        [7000, true, true, 'succeeded'],
      ]
    )
    const reversals = await stripeReversalsOf(transfer.stripeTransferId!)
    assert.sameMembers(
      reversals.map((reversal) => reversal.amount),
      [2000, 6300]
    )
    const stripeRefunds = await stripeRefundsOf(payment.stripePaymentIntentId!)
    assert.sameMembers(
      stripeRefunds.map((row) => row.amount),
      [2000, 3000, 7000]
    )
    // $120.00 back to the employer: $83.00 from Carla, $37.00 from the platform
    const carlaAfter = await contractorBalance(carla)
    assert.equal(
      carlaAfter.available + carlaAfter.pending - carlaBefore.available - carlaBefore.pending,
      -8300
    )
    assert.equal((await platformBalance()) - platformBefore, -3700)
    const state = await stateOf(order)
    assert.equal(state.transfers[0].amountReversed, 8300)
    assert.deepEqual(await paymentNow(order), {
      status: 'partially_refunded',
      amountRefunded: 12000,
    })
  })

  test("the contractor's balance cannot cover their share: refused with the figures, nothing refunded", async ({
    assert,
  }) => {
    const { carla, order, paid, payment, transfers } = await chargedOrder(
      [12000, 8000],
      'pm_card_bypassPending'
    )
    await payOut(carla, 800)

    const command = await runCommand(OrdersRefund, [
      String(order.id),
      `--line=${paid.id}`,
      '--amount=50.00',
      '--force',
    ])

    command.assertExitCode(1)
    const errors = errorsOf(command)
    assert.lengthOf(errors, 1)
    assert.match(
      errors[0],
      /balance \(\$8\.00\) cannot cover giving back their \$45\.00 share of this \$50\.00 refund: nothing was refunded/
    )
    assert.match(errors[0], /--platform-covers/)
    // Nothing moved on Stripe: no refund, no reversal
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 0)
    assert.lengthOf(await stripeReversalsOf(transfers[0].stripeTransferId!), 0)
    assert.deepEqual(await contractorBalance(carla), { available: 800, pending: 0 })
    const state = await stateOf(order)
    assert.equal(state.payment.status, 'succeeded')
    assert.equal(state.payment.amountRefunded, 0)
    assert.equal(state.transfers[0].amountReversed, 0)
    const [refund] = await Refund.all()
    assert.equal(refund.status, 'failed')
    assert.isNull(refund.stripeRefundId)
    const reversal = await TransferReversal.findByOrFail('refundId', refund.id)
    assert.equal(reversal.status, 'failed')
    assert.lengthOf(await ContractorDebit.all(), 0)
  })

  test('--platform-covers: the platform refunds the line, the contractor owes their share as a debit', async ({
    assert,
  }) => {
    const { carla, order, paid, payment, transfers } = await chargedOrder(
      [12000, 8000],
      'pm_card_bypassPending'
    )
    await payOut(carla, 800)
    const argv = [
      String(order.id),
      `--line=${paid.id}`,
      '--amount=50.00',
      '--platform-covers',
      '--force',
    ]

    const command = await runCommand(OrdersRefund, argv)

    command.assertSucceeded()
    const [refused, covered] = await Refund.query().where('orderId', order.id).orderBy('id')
    assert.equal(refused.status, 'failed')
    assert.equal(covered.status, 'succeeded')
    assert.equal(covered.amount, 5000)
    assert.equal(covered.orderLineId, paid.id)
    assert.isFalse(covered.reverseTransfer)
    assert.equal(covered.contractorOwes, 4500)
    const debit = await ContractorDebit.findByOrFail('refundId', covered.id)
    assert.deepInclude(debit.serialize(), {
      contractorId: carla.id,
      orderId: order.id,
      orderLineId: paid.id,
      amount: 4500,
      status: 'owed',
    })
    command.assertLogMatches(new RegExp(`Refund #${refused.id} was refused`))
    command.assertLogMatches(
      new RegExp(`Debit #${debit.id}: the contractor owes \\$45\\.00 .*--collect=${debit.id}`)
    )
    // On Stripe: one refund of $50.00, no reversal; Carla's balance untouched
    const refunds = await stripeRefundsOf(payment.stripePaymentIntentId!)
    assert.deepEqual(
      refunds.map((refund) => refund.amount),
      [5000]
    )
    assert.lengthOf(await stripeReversalsOf(transfers[0].stripeTransferId!), 0)
    assert.deepEqual(await contractorBalance(carla), { available: 800, pending: 0 })
    const state = await stateOf(order)
    assert.equal(state.payment.status, 'partially_refunded')
    assert.equal(state.payment.amountRefunded, 5000)

    // The same command again: found, nothing twice
    const again = await runCommand(OrdersRefund, argv)
    again.assertSucceeded()
    again.assertLogMatches(new RegExp(`Refund #${covered.id} of \\$50\\.00 .* already succeeded`))
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)
    assert.lengthOf(await ContractorDebit.all(), 1)

    // The rest of the line, still covered: her share of the $70.00 left is $63.00 (the
    // $45.00 she already owes is not counted twice)
    const rest = await runCommand(OrdersRefund, [
      String(order.id),
      `--line=${paid.id}`,
      '--platform-covers',
      '--force',
    ])
    rest.assertSucceeded()
    const debits = await ContractorDebit.query().orderBy('id')
    assert.deepEqual(
      debits.map((row) => [row.amount, row.status]),
      [
        [4500, 'owed'],
        [6300, 'owed'],
      ]
    )
    assert.deepEqual(await paymentNow(order), {
      status: 'partially_refunded',
      amountRefunded: 12000,
    })
  })

  test("a refund Stripe would refuse never takes the contractor's share back first", async ({
    assert,
  }) => {
    const { order, paid, payment, transfers } = await chargedOrder([12000, 8000])
    // $180.00 of the $200.00 refunded on Stripe's Dashboard: Crewpay does not know yet
    await stripe().refunds.create({ payment_intent: payment.stripePaymentIntentId!, amount: 18000 })

    const refused = await stripeWritesDuring(() =>
      runCommand(OrdersRefund, [String(order.id), `--line=${paid.id}`, '--amount=50.00', '--force'])
    )

    refused.result.assertExitCode(1)
    assert.match(
      errorsOf(refused.result)[0],
      /less left to refund .*run stripe:reconcile.*Nothing was refunded/
    )
    assert.deepEqual(refused.writes, [])
    assert.lengthOf(await Refund.all(), 0)
    assert.lengthOf(await TransferReversal.all(), 0)
    assert.lengthOf(await stripeReversalsOf(transfers[0].stripeTransferId!), 0)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 1)
  })

  test('a line whose transfer Stripe has not confirmed is not refunded until it is', async ({
    assert,
  }) => {
    const { order, paid, payment, transfers } = await chargedOrder([12000, 8000])
    // The transfer's answer was lost: its row is still pending
    await db
      .from('transfers')
      .where('id', transfers[0].id)
      .update({ status: 'pending', stripe_transfer_id: null })
    const argv = [String(order.id), `--line=${paid.id}`, '--amount=50.00', '--force']

    const early = await runCommand(OrdersRefund, argv)

    early.assertExitCode(1)
    assert.match(
      errorsOf(early)[0],
      new RegExp(
        `transfer for line #${paid.id} is not confirmed by Stripe yet: nothing was refunded`
      )
    )
    assert.lengthOf(await Refund.all(), 0)
    assert.lengthOf(await stripeRefundsOf(payment.stripePaymentIntentId!), 0)

    // Sent again with its own key, Stripe answers with the same transfer: then the refund goes
    await driveOrder(order.id)
    const {
      transfers: [transfer],
    } = await stateOf(order)
    assert.equal(transfer.status, 'paid')
    assert.equal(transfer.stripeTransferId, transfers[0].stripeTransferId)
    const later = await runCommand(OrdersRefund, argv)
    later.assertSucceeded()
    const reversals = await stripeReversalsOf(transfer.stripeTransferId!)
    assert.deepEqual(
      reversals.map((reversal) => reversal.amount),
      [4500]
    )
  })
})
