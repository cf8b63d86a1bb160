import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import { userInfo } from 'node:os'
import { DateTime } from 'luxon'
import type User from '#models/user'
import Payment from '#models/payment'
import PaymentRequest from '#models/payment_request'
import PaymentEvent from '#models/payment_event'
import Refund from '#models/refund'
import UserProfile from '#models/user_profile'
import PaymentRequestsPay from '#commands/payment_requests_pay'
import PaymentRequestsList from '#commands/payment_requests_list'
import PaymentRequestsShow from '#commands/payment_requests_show'
import PaymentRequestsVoid from '#commands/payment_requests_void'
import OrdersRefund from '#commands/orders_refund'
import StripeReconcile from '#commands/stripe_reconcile'
import { stripe } from '#stripe/client'
import { businessNow } from '#services/clock'
import { PAYMENT_INTENT_EXPAND } from '#stripe/payment_intents'
import { setFeePlan } from '#actions/contractors/set_fee_plan'
import { createPaymentRequest } from '#actions/payment_requests/create_request'
import { payRequest } from '#actions/payment_requests/pay_request'
import { drivePendingWrites } from '#actions/orders/drive_pending'
import { PENDING_GRACE_MINUTES } from '#actions/reconcile/reconcile'
import { actors } from '#domain/actor'
import { truncateAllTables } from '#tests/helpers/database'
import { fakeMail } from '#tests/helpers/mail'
import { runJobs } from '#tests/helpers/jobs'
import { pdfText } from '#tests/helpers/pdf'
import { createActiveContractor, createEmployer, stripeIdOf } from '#tests/helpers/stripe'
import {
  contractorBalance,
  errorsOf,
  outputOf,
  runCommand,
  withoutTerminal,
} from '#tests/functional/console_helpers'

const ACTOR = `console:${userInfo().username}`

/** The JSON document a --json command printed (its other lines are notes) */
function jsonOf(command: Parameters<typeof outputOf>[0]) {
  // A JSON document opens with { or with [ and a new line or a value (log lines: "[ blue(info) ]")
  const document = outputOf(command).find((line) => /^(\{|\[\s*[\n{\]])/.test(line))
  if (!document) {
    throw new Error(`No JSON in: ${outputOf(command).join('\n')}`)
  }
  return JSON.parse(document)
}

async function dueIn(days: number) {
  const now = await businessNow()
  return now.toUTC().plus({ days }).toISODate()!
}

/** Carla (fee plan 12.5% + $0.30) bills Erin (a saved Visa) $1,000.00 */
async function billed(amount = 100000) {
  const carla = await createActiveContractor({ fullName: 'Carla Contractor' })
  await setFeePlan(carla, { basisPoints: 1250, fixed: 30, minimum: null, maximum: null }, 'test')
  const erin = await createEmployer({ email: 'erin@example.com', fullName: 'Erin Employer' })
  const due = await dueIn(30)
  const request = await createPaymentRequest(carla, {
    employerEmail: 'erin@example.com',
    description: 'Deposit for the bathroom',
    amount,
    currency: 'usd',
    dueDate: due,
  })
  return { carla, erin, request }
}

async function paymentsOf(request: PaymentRequest) {
  return Payment.query().where('paymentRequestId', request.id).orderBy('id')
}

async function defaultCardOf(employer: User) {
  const profile = await UserProfile.findByOrFail('userId', employer.id)
  return profile.defaultPaymentMethodId!
}

test.group('Console: paying a request on the employer’s behalf', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('pays from the stored card, audited as the console, with the receipt mailed', async ({
    assert,
  }) => {
    const mails = fakeMail()
    const { carla, erin, request } = await billed()

    const command = await runCommand(PaymentRequestsPay, [
      String(request.id),
      '--amount=250.00',
      '--payment-method=default',
      '--force',
    ])
    command.assertSucceeded()
    const [payment] = await paymentsOf(request)
    assert.equal(payment.status, 'succeeded')
    assert.equal(payment.paymentMethodId, await defaultCardOf(erin))
    assert.isFalse(payment.onSession)
    // 12.5% of $250.00 + $0.30
    assert.equal(payment.applicationFeeAmount, 3155)
    command.assertLogMatches(/Payment #\d+ of \$250\.00 on request #\d+ succeeded/)
    const intent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(intent.application_fee_amount, 3155)
    // Charged off session: no 3-D Secure prompt can reach the employer from the console
    assert.notEqual(intent.status, 'requires_action')
    assert.deepEqual(await contractorBalance(carla), { available: 0, pending: 25000 - 3155 })

    const started = await PaymentEvent.query()
      .where('paymentId', payment.id)
      .where('type', 'payment_request.payment_started')
      .firstOrFail()
    assert.equal(started.actor, ACTOR)
    assert.equal(started.paymentRequestId, request.id)

    await runJobs(['send_notification'])
    const [receipt] = mails.sent().filter((mail) => mail.message === 'request_payment_receipt')
    assert.deepEqual(receipt.to, ['erin@example.com'])
    const text = await pdfText(receipt.attachments[0].content)
    assert.include(text, 'Amount paid: $250.00')
    assert.include(text, 'Balance due: $750.00')

    // A bank account they saved: a debit authorized offline, processing
    const bank = await stripe().paymentMethods.attach('pm_usBankAccount_success', {
      customer: await stripeIdOf(erin),
    })
    const debit = await runCommand(PaymentRequestsPay, [
      `#${request.id}`,
      '--amount=750.00',
      `--payment-method=${bank.id}`,
      '--force',
    ])
    debit.assertSucceeded()
    const [, processing] = await paymentsOf(request)
    assert.equal(processing.status, 'processing')
    assert.deepEqual(processing.mandateAcceptance, { type: 'offline' })
    debit.assertLogMatches(/bank debit, processing/)
  })

  test('refuses without confirmation, beyond the balance, with someone else’s card, on a void request', async ({
    assert,
  }) => {
    const { erin, request } = await billed()
    const other = await createEmployer({ email: 'oscar@example.com' })

    const unconfirmed = await withoutTerminal(() =>
      runCommand(PaymentRequestsPay, [String(request.id), '--amount=100.00'])
    )
    unconfirmed.assertExitCode(1)
    assert.match(errorsOf(unconfirmed).join(' '), /No terminal to confirm on: nothing was done/)

    const refusals: [string[], RegExp][] = [
      [['--amount=1,000.01'], /at most the balance due, \$1,000\.00/],
      [['--amount=10.001'], /at most 2 decimals/],
      [['--amount=-5'], /cannot be negative/],
      [[], /--amount needs an amount/],
      [['--amount=100.00', `--payment-method=${await defaultCardOf(other)}`], /saved cards/],
      [['--amount=100.00', '--payment-method=card\u0000'], /control character/],
      [['--amount=100.00', '--payment-method=tok_visa'], /\(pm_…\) or "default"/],
    ]
    for (const [flags, message] of refusals) {
      const command = await runCommand(PaymentRequestsPay, [
        String(request.id),
        ...flags,
        '--force',
      ])
      command.assertExitCode(1)
      assert.match(errorsOf(command).join(' '), message, flags.join(' '))
    }
    for (const id of ['999999', 'abc', '#0']) {
      const command = await runCommand(PaymentRequestsPay, [id, '--amount=1.00', '--force'])
      command.assertExitCode(1)
    }
    assert.lengthOf(await paymentsOf(request), 0)

    const voided = await runCommand(PaymentRequestsVoid, [String(request.id), '--force'])
    voided.assertSucceeded()
    const afterVoid = await runCommand(PaymentRequestsPay, [
      String(request.id),
      '--amount=100.00',
      '--force',
    ])
    afterVoid.assertExitCode(1)
    assert.match(errorsOf(afterVoid).join(' '), /was canceled/)
    assert.equal(erin.email, 'erin@example.com')
    assert.lengthOf(await paymentsOf(request), 0)
  })

  test('an employer with no account yet cannot be paid for', async ({ assert }) => {
    const carla = await createActiveContractor()
    const request = await createPaymentRequest(carla, {
      employerEmail: 'newcomer@example.com',
      description: 'Quote for the roof',
      amount: 5000,
      currency: 'usd',
      dueDate: await dueIn(3),
    })
    const command = await runCommand(PaymentRequestsPay, [
      String(request.id),
      '--amount=50.00',
      '--force',
    ])
    command.assertExitCode(1)
    assert.match(errorsOf(command).join(' '), /has no employer account yet/)
  })
})

test.group('Console: listing, showing and voiding requests', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('list by derived status, as a table or JSON; show payments and timeline; void', async ({
    assert,
  }) => {
    const { carla, erin, request } = await billed()
    const second = await createPaymentRequest(carla, {
      employerEmail: 'erin@example.com',
      description: 'Second visit',
      amount: 20000,
      currency: 'usd',
      dueDate: await dueIn(10),
    })
    await payRequest(request, erin, {
      amount: 40000,
      method: { kind: 'saved', paymentMethodId: await defaultCardOf(erin) },
      actor: actors.party('employer', erin.id),
    })

    const json = await runCommand(PaymentRequestsList, ['--json'])
    json.assertSucceeded()
    const rows = jsonOf(json)
    assert.deepEqual(
      rows.map((row: Record<string, unknown>) => [row.id, row.status, row.paid, row.balance_due]),
      [
        [second.id, 'open', 0, 20000],
        [request.id, 'partially_paid', 40000, 60000],
      ]
    )

    const partly = await runCommand(PaymentRequestsList, ['--status=partially_paid', '--json'])
    assert.deepEqual(
      jsonOf(partly).map((row: { id: number }) => row.id),
      [request.id]
    )
    const table = await runCommand(PaymentRequestsList, ['--status=open,void'])
    table.assertSucceeded()
    assert.match(outputOf(table).join('\n'), new RegExp(`#${second.id}`))
    assert.notMatch(outputOf(table).join('\n'), new RegExp(`#${request.id}\\b`))
    const bad = await runCommand(PaymentRequestsList, ['--status=settled'])
    bad.assertExitCode(1)
    assert.match(errorsOf(bad).join(' '), /--status must be one of: open, partially_paid/)

    const show = await runCommand(PaymentRequestsShow, [String(request.id)])
    show.assertSucceeded()
    const shown = outputOf(show).join('\n')
    assert.match(shown, /Partially paid/)
    assert.match(shown, /Amount \$1,000\.00, paid \$400\.00, balance due \$600\.00/)
    assert.match(shown, /Fee plan: 12\.5% \+ \$0\.30/)
    const [payment] = await paymentsOf(request)
    assert.match(shown, new RegExp(`#${payment.id} \\$400\\.00 succeeded`))
    assert.match(shown, /payment_request\.created/)

    const cannot = await runCommand(PaymentRequestsVoid, [String(request.id), '--force'])
    cannot.assertExitCode(1)
    assert.match(errorsOf(cannot).join(' '), /\$400\.00 of it is paid/)
    const voided = await runCommand(PaymentRequestsVoid, [String(second.id), '--force'])
    voided.assertSucceeded()
    const reloaded = await PaymentRequest.findOrFail(second.id)
    assert.equal(reloaded.status, 'void')
    assert.equal(reloaded.voidedBy, ACTOR)
    const voidList = await runCommand(PaymentRequestsList, ['--status=void', '--json'])
    assert.deepEqual(
      jsonOf(voidList).map((row: { id: number }) => row.id),
      [second.id]
    )
  })
})

test.group('Console: refunds and reconciliation of request payments', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('orders:refund --payment refunds a request payment: the contractor and the platform give back their shares', async ({
    assert,
  }) => {
    const { carla, erin, request } = await billed()
    const { payment } = await payRequest(request, erin, {
      amount: 40000,
      method: { kind: 'saved', paymentMethodId: await defaultCardOf(erin) },
      actor: actors.party('employer', erin.id),
    })
    assert.equal(payment.applicationFeeAmount, 5030)

    const partial = await runCommand(OrdersRefund, [
      `--payment=${payment.id}`,
      '--amount=100.00',
      '--force',
    ])
    partial.assertSucceeded()
    partial.assertLogMatches(
      new RegExp(
        `Refund #\\d+ of \\$100\\.00 on payment #${payment.id} \\(payment request #${request.id}\\) succeeded`
      )
    )
    let reloaded = await Payment.findOrFail(payment.id)
    assert.equal(reloaded.status, 'partially_refunded')
    assert.equal(reloaded.amountRefunded, 10000)
    const [refund] = await Refund.query().where('paymentId', payment.id)
    assert.isNull(refund.orderId)
    assert.isTrue(refund.reverseTransfer)
    assert.isTrue(refund.refundApplicationFee)
    // The contractor gives back 100/400 of their transfer, the platform 100/400 of its fee
    const charge = await stripe().charges.retrieve(payment.stripeChargeId!, {
      expand: ['transfer', 'application_fee'],
    })
    const transfer = charge.transfer as { amount_reversed: number }
    const fee = charge.application_fee as { amount_refunded: number }
    assert.equal(transfer.amount_reversed, 10000)
    assert.equal(fee.amount_refunded, 1258)
    // (Stripe takes the reversal from the available balance while the payment is still pending)
    const balance = await contractorBalance(carla)
    assert.equal(balance.available + balance.pending, 40000 - 5030 - (10000 - 1258))

    // A re-run is the same refund; the PaymentIntent id names the payment too
    const again = await runCommand(OrdersRefund, [
      payment.stripePaymentIntentId!,
      '--amount=100.00',
      '--force',
    ])
    again.assertSucceeded()
    again.assertLogMatches(/already succeeded/)
    assert.lengthOf(await Refund.query().where('paymentId', payment.id), 1)
    const rest = await runCommand(OrdersRefund, [`--payment=${payment.id}`, '--force'])
    rest.assertSucceeded()
    reloaded = await Payment.findOrFail(payment.id)
    assert.equal(reloaded.status, 'refunded')
    assert.equal(reloaded.amountRefunded, 40000)

    // A refund does not ask for the money again: the request stays as paid as it was
    const show = await runCommand(PaymentRequestsShow, [String(request.id), '--json'])
    const shown = jsonOf(show)
    assert.include(shown, { paid: 40000, refunded: 40000, balance_due: 60000 })

    const both = await runCommand(OrdersRefund, ['1', `--payment=${payment.id}`, '--force'])
    both.assertExitCode(1)
    const line = await runCommand(OrdersRefund, [`--payment=${payment.id}`, '--line=3', '--force'])
    line.assertExitCode(1)
    assert.match(errorsOf(line).join(' '), /--line is for orders/)
  })

  test('a payment whose answer was lost is completed once; one that never reached Stripe is closed by reconciliation', async ({
    assert,
  }) => {
    const { carla, erin, request } = await billed()
    const card = await defaultCardOf(erin)
    const written = DateTime.now().minus({ minutes: PENDING_GRACE_MINUTES + 5 })
    const pendingRow = (amount: number) =>
      Payment.create({
        paymentRequestId: request.id,
        orderId: null,
        employerId: erin.id,
        methodType: 'card',
        paymentMethodId: card,
        methodBrand: 'Visa',
        methodLast4: '4242',
        flow: 'destination',
        amount,
        currency: 'usd',
        applicationFeeAmount: 1280,
        status: 'pending',
        createdAt: written,
        updatedAt: written,
      })

    // Stripe made the PaymentIntent, its answer never came back
    const lost = await pendingRow(10000)
    const made = await stripe().paymentIntents.create({
      amount: 10000,
      currency: 'usd',
      customer: await stripeIdOf(erin),
      payment_method: card,
      allowed_payment_method_types: ['card'],
      confirm: true,
      off_session: true,
      application_fee_amount: 1280,
      transfer_data: { destination: await stripeIdOf(carla) },
      metadata: { payment_id: String(lost.id), payment_request_id: String(request.id) },
      expand: PAYMENT_INTENT_EXPAND,
    })
    // Meanwhile it counts against the balance
    const refused = await runCommand(PaymentRequestsPay, [
      String(request.id),
      '--amount=950.00',
      '--force',
    ])
    refused.assertExitCode(1)
    assert.match(errorsOf(refused).join(' '), /at most the balance due, \$900\.00/)

    await drivePendingWrites()
    let reloaded = await Payment.findOrFail(lost.id)
    assert.equal(reloaded.status, 'succeeded')
    assert.equal(reloaded.stripePaymentIntentId, made.id)
    const intents = await stripe().paymentIntents.list({ customer: await stripeIdOf(erin) })
    assert.lengthOf(intents.data, 1)

    // Never reached Stripe: reconciliation closes it, the balance opens again
    const never = await pendingRow(20000)
    const report = await runCommand(StripeReconcile, ['--fix', '--force', '--json'])
    const json = jsonOf(report)
    assert.isAtLeast(json.checked.payments, 2)
    const drift = json.drifts.find(
      (candidate: { subject: string }) =>
        candidate.subject === `payment #${never.id} (payment request #${request.id})`
    )
    assert.include(drift, { problem: 'authorization never reached Stripe', fixed: true })
    reloaded = await Payment.findOrFail(never.id)
    assert.equal(reloaded.status, 'failed')
    assert.match(reloaded.failureMessage!, /Pay again/)
    // The succeeded one agrees with Stripe, its destination transfer recorded
    assert.notExists(
      json.drifts.find((candidate: { subject: string }) =>
        candidate.subject.startsWith(`payment #${lost.id} `)
      )
    )
    const clean = await runCommand(StripeReconcile, ['--json'])
    const after = jsonOf(clean)
    assert.deepEqual(
      after.drifts.filter((candidate: { subject: string }) =>
        candidate.subject.includes('request')
      ),
      []
    )
  })
})
