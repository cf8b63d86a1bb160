import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import { userInfo } from 'node:os'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import ContractorDebit from '#models/contractor_debit'
import Refund from '#models/refund'
import PaymentEvent from '#models/payment_event'
import ContractorsDebit from '#commands/contractors_debit'
import StripeReconcile from '#commands/stripe_reconcile'
import { PENDING_GRACE_MINUTES } from '#actions/reconcile/reconcile'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor, createEmployer, stripeIdOf } from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { createUser } from '#tests/helpers/users'
import { actors } from '#domain/actor'
import { approveLines } from '#actions/orders/approve_line'
import {
  collectOwedDebit,
  debitContractor,
  debitTransferGroup,
} from '#actions/contractors/debit_contractor'
import {
  contractorBalance,
  errorsOf,
  literally,
  replayDebit,
  runCommand,
  stripeWritesDuring,
  withoutTerminal,
} from '#tests/functional/console_helpers'
import { withStripeUnreachable } from '#tests/helpers/stripe'

const ACTOR = `console:${userInfo().username}`

/** A contractor paid for one order ($120, fee $12): $108 available with bypassPending */
async function paidContractor(card = 'pm_card_bypassPending') {
  const contractor = await createActiveContractor({ email: 'carla@example.com' })
  const employer = await createEmployer({ email: 'erin@example.com' }, card)
  const service = await createService(contractor, { price: 12000 })
  const order = await placeTestOrder(employer, service)
  // An admin captures it: the destination charge pays the contractor
  await approveLines(order.id, null, actors.admin('test'))
  return { contractor, employer, order }
}

async function platformPaymentsOf(debit: ContractorDebit) {
  const payments = await stripe().charges.list({ transfer_group: debitTransferGroup(debit) })
  return payments.data
}

test.group('contractors:debit', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('debits the available balance once; a re-run finds it; --repeat debits again', async ({
    assert,
  }) => {
    const { contractor, order } = await paidContractor()
    assert.deepEqual(await contractorBalance(contractor), { available: 10800, pending: 0 })
    const argv = [
      'Carla@Example.com',
      '--amount=5.00',
      '--currency=usd',
      '--reason=Chargeback fee',
      `--order=${order.id}`,
      '--force',
    ]

    const command = await runCommand(ContractorsDebit, argv)

    command.assertSucceeded()
    const debit = await ContractorDebit.firstOrFail()
    command.assertLogMatches(
      literally(`Debit #${debit.id} of $5.00 from carla@example.com succeeded (${debit.stripeId})`)
    )
    assert.equal(debit.status, 'succeeded')
    assert.equal(debit.amount, 500)
    assert.equal(debit.currency, 'usd')
    assert.equal(debit.orderId, order.id)
    const { line } = await stateOf(order)
    assert.equal(debit.orderLineId, line.id)
    assert.equal(debit.reason, 'Chargeback fee')
    assert.equal(debit.initiatedBy, ACTOR)
    assert.match(debit.stripeId!, /^py_/)
    const payment = await stripe().charges.retrieve(debit.stripeId!)
    assert.equal(payment.amount, 500)
    assert.equal(payment.status, 'succeeded')
    assert.equal(payment.metadata.crewpay_debit, debit.reference)
    // A re-run's request (same key, from the row) gets the same payment back
    const replayed = await replayDebit(debit)
    assert.equal(replayed.id, debit.stripeId)
    assert.deepEqual(await contractorBalance(contractor), { available: 10300, pending: 0 })
    const events = await PaymentEvent.query().where('contractorDebitId', debit.id).orderBy('id')
    assert.deepEqual(
      events.map((event) => [event.type, event.actor, event.amount, event.stripeId]),
      [
        ['contractor_debit.requested', ACTOR, 500, null],
        ['contractor_debit.succeeded', ACTOR, 500, debit.stripeId],
      ]
    )

    const again = await runCommand(ContractorsDebit, argv)
    again.assertSucceeded()
    again.assertLogMatches(
      literally(`Debit #${debit.id} of $5.00 from carla@example.com already succeeded`)
    )
    again.assertLogMatches(/nothing was done.*--repeat/)
    assert.lengthOf(await ContractorDebit.all(), 1)
    assert.lengthOf(await platformPaymentsOf(debit), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: 10300, pending: 0 })

    const repeated = await runCommand(ContractorsDebit, [...argv, '--repeat'])
    repeated.assertSucceeded()
    assert.lengthOf(await ContractorDebit.all(), 2)
    assert.deepEqual(await contractorBalance(contractor), { available: 9800, pending: 0 })
  })

  test('pending funds do not count: refused up front with the figures, no row, Stripe not asked', async ({
    assert,
  }) => {
    const { contractor } = await paidContractor('pm_card_visa')
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 10800 })

    const { result: command, writes } = await stripeWritesDuring(() =>
      runCommand(ContractorsDebit, [
        String(contractor.id),
        '--amount=5.00',
        '--currency=usd',
        '--reason=Equipment rental',
        '--force',
      ])
    )

    command.assertExitCode(1)
    const errors = errorsOf(command)
    assert.lengthOf(errors, 1)
    assert.match(
      errors[0],
      /available Stripe balance \(\$0\.00, \$108\.00 more pending\) cannot cover this \$5\.00 debit: nothing was charged/
    )
    assert.deepEqual(writes, [])
    assert.lengthOf(await ContractorDebit.all(), 0)
    assert.lengthOf(await PaymentEvent.query().whereNotNull('contractorDebitId'), 0)
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 10800 })
  })

  test('a debit the available balance cannot cover is refused before a row is written or Stripe is asked', async ({
    assert,
  }) => {
    const { contractor } = await paidContractor()
    const argv = [contractor.email, '--currency=usd', '--reason=Damaged tools', '--force']

    const { result: short, writes } = await stripeWritesDuring(() =>
      runCommand(ContractorsDebit, [...argv, '--amount=108.01'])
    )

    short.assertExitCode(1)
    const errors = errorsOf(short)
    assert.lengthOf(errors, 1)
    assert.match(
      errors[0],
      /available Stripe balance \(\$108\.00\) cannot cover this \$108\.01 debit: nothing was charged/
    )
    assert.notMatch(errors[0], /Stripe refused/)
    assert.deepEqual(writes, [])
    assert.lengthOf(await ContractorDebit.all(), 0)
    assert.lengthOf(await PaymentEvent.query().whereNotNull('contractorDebitId'), 0)
    assert.deepEqual(await contractorBalance(contractor), { available: 10800, pending: 0 })

    // The whole available balance can be taken: one write, the account debit
    const { result: exact, writes: sent } = await stripeWritesDuring(() =>
      runCommand(ContractorsDebit, [...argv, '--amount=108.00'])
    )
    exact.assertSucceeded()
    assert.deepEqual(sent, ['POST /v1/charges'])
    const [debit] = await ContractorDebit.all()
    assert.equal(debit.status, 'succeeded')
    assert.deepEqual(await contractorBalance(contractor), { available: 0, pending: 0 })
  })

  test('a re-run completes the pending debit a crash left, never a second one', async ({
    assert,
  }) => {
    const { contractor } = await paidContractor()
    // The first run wrote its row and reached Stripe, then died before recording the answer
    const crashed = await ContractorDebit.create({
      contractorId: contractor.id,
      amount: 700,
      currency: 'usd',
      reason: 'Late delivery penalty',
      status: 'pending',
      initiatedBy: ACTOR,
    })
    const sent = await stripe().charges.create(
      {
        amount: 700,
        currency: 'usd',
        source: await stripeIdOf(contractor),
        transfer_group: debitTransferGroup(crashed),
      },
      { idempotencyKey: idempotencyKey('contractor_debit', crashed, 'create') }
    )

    const command = await runCommand(ContractorsDebit, [
      contractor.email,
      '--amount=7',
      '--currency=USD',
      '--reason=Late delivery penalty',
      '--force',
    ])

    command.assertSucceeded()
    command.assertLogMatches(
      literally(
        `Debit #${crashed.id} (from an earlier run) of $7.00 from carla@example.com succeeded (${sent.id})`
      )
    )
    await crashed.refresh()
    assert.equal(crashed.status, 'succeeded')
    assert.equal(crashed.stripeId, sent.id)
    assert.lengthOf(await ContractorDebit.all(), 1)
    assert.lengthOf(await platformPaymentsOf(crashed), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: 10100, pending: 0 })
  })

  test('Stripe unreachable: the debit stays pending and the same command completes it once', async ({
    assert,
  }) => {
    const { contractor } = await paidContractor()
    const argv = [contractor.email, '--amount=9.99', '--currency=usd', '--reason=Fee', '--force']

    const unreachable = await withStripeUnreachable(() => runCommand(ContractorsDebit, argv))

    unreachable.assertExitCode(1)
    const debit = await ContractorDebit.firstOrFail()
    assert.match(
      errorsOf(unreachable)[0],
      literally(`Stripe did not answer: debit #${debit.id} of $9.99 stays pending`)
    )
    assert.match(errorsOf(unreachable)[0], /Run the same command again/)
    assert.equal(debit.status, 'pending')
    assert.lengthOf(await platformPaymentsOf(debit), 0)

    const rerun = await runCommand(ContractorsDebit, argv)

    rerun.assertSucceeded()
    await debit.refresh()
    assert.equal(debit.status, 'succeeded')
    rerun.assertLogMatches(
      literally(
        `Debit #${debit.id} (from an earlier run) of $9.99 from carla@example.com succeeded (${debit.stripeId})`
      )
    )
    assert.lengthOf(await ContractorDebit.all(), 1)
    assert.lengthOf(await platformPaymentsOf(debit), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: 10800 - 999, pending: 0 })
  })

  test('collecting an owed debit first asks Stripe whether an earlier attempt went through', async ({
    assert,
  }) => {
    const { contractor, order } = await paidContractor()
    const { payment, line } = await stateOf(order)
    const refund = await Refund.create({
      orderId: order.id,
      paymentId: payment.id,
      orderLineId: line.id,
      cause: 'admin',
      amount: 5000,
      currency: 'usd',
      reverseTransfer: false,
      refundApplicationFee: false,
      status: 'succeeded',
      initiatedBy: ACTOR,
      contractorOwes: 4500,
    })
    const debit = await ContractorDebit.create({
      contractorId: contractor.id,
      orderId: order.id,
      orderLineId: line.id,
      refundId: refund.id,
      amount: 4500,
      currency: 'usd',
      reason: 'Share of refund',
      status: 'owed',
      initiatedBy: ACTOR,
    })
    const collect = [contractor.email, `--collect=${debit.id}`, '--force']

    // The first collection gets no answer; reconcile later puts the debit back to owed...
    const unanswered = await withStripeUnreachable(() => runCommand(ContractorsDebit, collect))
    unanswered.assertExitCode(1)
    await db
      .from('contractor_debits')
      .where('id', debit.id)
      .update({
        updated_at: DateTime.now()
          .minus({ minutes: PENDING_GRACE_MINUTES + 1 })
          .toJSDate(),
      })
    await runCommand(StripeReconcile, ['--fix', '--force'])
    await debit.refresh()
    assert.equal(debit.status, 'owed')
    // ...and then that first request reaches Stripe after all
    const landed = await replayDebit(debit, 1)

    const again = await runCommand(ContractorsDebit, collect)

    again.assertSucceeded()
    await debit.refresh()
    assert.equal(debit.status, 'succeeded')
    assert.equal(debit.stripeId, landed.id)
    again.assertLogMatches(
      literally(`Debit #${debit.id} of $45.00 from carla@example.com succeeded (${landed.id})`)
    )
    assert.lengthOf(await platformPaymentsOf(debit), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: 10800 - 4500, pending: 0 })

    // A debit of the same amount for the same order, asked by an admin, is a new one:
    // the collected share is not a run of this command
    const fee = await runCommand(ContractorsDebit, [
      contractor.email,
      '--amount=45.00',
      '--currency=usd',
      '--reason=Chargeback fee',
      `--order=${order.id}`,
      '--force',
    ])
    fee.assertSucceeded()
    assert.lengthOf(await ContractorDebit.all(), 2)
    assert.deepEqual(await contractorBalance(contractor), { available: 10800 - 9000, pending: 0 })
  })

  test('the same debit run twice at once is made once', async ({ assert }) => {
    const { contractor } = await paidContractor()
    const input = {
      actor: ACTOR,
      contractor,
      amount: 2500,
      currency: 'usd',
      reason: 'Damaged tools',
    }

    const results = await Promise.all([debitContractor(input), debitContractor(input)])

    const [debit] = await ContractorDebit.all()
    assert.lengthOf(await ContractorDebit.all(), 1)
    assert.deepEqual(
      results.map((result) => result.debit.id),
      [debit.id, debit.id]
    )
    assert.equal(debit.status, 'succeeded')
    assert.lengthOf(await platformPaymentsOf(debit), 1)
    assert.deepEqual(await contractorBalance(contractor), { available: 10800 - 2500, pending: 0 })
  })

  test("--collect refuses another contractor's owed debit and charges nobody", async ({
    assert,
  }) => {
    const { contractor } = await paidContractor()
    const other = await createActiveContractor({ email: 'olga@example.com' })
    const othersDebit = await ContractorDebit.create({
      contractorId: other.id,
      amount: 4500,
      currency: 'usd',
      reason: 'Share of a refund',
      status: 'owed',
      initiatedBy: ACTOR,
    })
    const before = [await contractorBalance(contractor), await contractorBalance(other)]

    const command = await runCommand(ContractorsDebit, [
      contractor.email,
      `--collect=${othersDebit.id}`,
      '--force',
    ])

    command.assertExitCode(1)
    assert.match(
      errorsOf(command)[0],
      literally(`carla@example.com has no debit #${othersDebit.id}.`)
    )
    // The action checks it under the lock too, whoever calls it
    await assert.rejects(
      () => collectOwedDebit(contractor, othersDebit.id, ACTOR),
      `carla@example.com has no debit #${othersDebit.id}.`
    )
    await othersDebit.refresh()
    assert.equal(othersDebit.status, 'owed')
    assert.isNull(othersDebit.stripeId)
    assert.lengthOf(await platformPaymentsOf(othersDebit), 0)
    assert.deepEqual([await contractorBalance(contractor), await contractorBalance(other)], before)
  })

  test('refuses unknown contractors, bad amounts and bad flags in one line', async ({ assert }) => {
    const { contractor, employer } = await paidContractor()
    const other = await createActiveContractor({ email: 'olga@example.com' })
    const othersService = await createService(other)
    const othersOrder = await placeTestOrder(employer, othersService)
    const newcomer = await createUser({ role: 'contractor', email: 'new@example.com' })
    const base = ['--currency=usd', '--reason=Chargeback fee', '--force']

    const cases: [string[], string][] = [
      [
        ['nobody@example.com', '--amount=5.00', ...base],
        'No user has the email nobody@example.com.',
      ],
      [['erin@example.com', '--amount=5.00', ...base], 'erin@example.com is not a contractor.'],
      [['999', '--amount=5.00', ...base], 'No user has the id 999.'],
      [
        ['carla', '--amount=5.00', ...base],
        '"carla" is not a contractor: give their email or their user id.',
      ],
      [[contractor.email, '--amount=-5', ...base], 'The amount cannot be negative.'],
      [[contractor.email, '--amount=1.234', ...base], 'USD amounts have at most 2 decimals.'],
      [
        [contractor.email, '--amount=abc', ...base],
        '"abc" is not an amount (write it like 12.50).',
      ],
      [[contractor.email, ...base], '--amount needs an amount, e.g. --amount=12.50.'],
      [[contractor.email, '--amount=0.10', ...base], 'Stripe cannot debit less than $0.50 in USD.'],
      [
        [contractor.email, '--amount=12.5', '--currency=jpy', '--reason=Fee', '--force'],
        'JPY has no decimals: write a whole number.',
      ],
      [
        [contractor.email, '--amount=500', '--currency=jpy', '--reason=Fee', '--force'],
        "Account debits must be in the contractor's account currency (USD), not JPY.",
      ],
      [
        [contractor.email, '--amount=5.00', '--currency=xyz', '--reason=Fee', '--force'],
        '--currency must be one of: usd, eur, gbp, cad, jpy.',
      ],
      [
        [contractor.email, '--amount=5.00', '--reason=Fee', '--force'],
        "--currency is required (the contractor's account currency, e.g. usd).",
      ],
      [
        [contractor.email, '--amount=5.00', '--currency=usd', '--force'],
        '--reason is required: say why the contractor is debited.',
      ],
      [
        [contractor.email, '--amount=5.00', `--order=${othersOrder.id}`, ...base],
        `Order #${othersOrder.id} is not one of carla@example.com's orders.`,
      ],
      [
        [newcomer.email, '--amount=5.00', ...base],
        'new@example.com has no Stripe account yet: there is nothing to debit.',
      ],
      [
        [contractor.email, '--collect=abc', '--force'],
        '--collect needs the id of an owed debit, e.g. --collect=7.',
      ],
      [[contractor.email, '--collect=77', '--force'], 'carla@example.com has no debit #77.'],
    ]
    for (const [argv, message] of cases) {
      const command = await runCommand(ContractorsDebit, argv)
      command.assertExitCode(1)
      // One line that says what is wrong (never a stack trace or "Unexpected error")
      const errors = errorsOf(command)
      assert.lengthOf(errors, 1, argv.join(' '))
      assert.match(errors[0], literally(message), argv.join(' '))
      assert.notMatch(errors[0], /Unexpected error/, argv.join(' '))
    }

    const noTerminal = await withoutTerminal(() =>
      runCommand(ContractorsDebit, [
        contractor.email,
        '--amount=5.00',
        '--currency=usd',
        '--reason=Fee',
      ])
    )
    noTerminal.assertExitCode(1)
    assert.match(errorsOf(noTerminal)[0], /No terminal to confirm on: nothing was done.*--force/)

    assert.lengthOf(await ContractorDebit.all(), 0)
    assert.deepEqual(await contractorBalance(contractor), { available: 10800, pending: 0 })
  })

  test('asks before debiting, showing the available balance', async ({ assert }) => {
    const { contractor } = await paidContractor()
    const argv = [contractor.email, '--amount=25.50', '--currency=usd', '--reason=Damaged tools']

    const declined = await runCommand(ContractorsDebit, argv, (command) => {
      command.prompt.trap('Debit $25.50 from carla@example.com?').reject()
    })
    declined.assertExitCode(1)
    declined.assertLogMatches(
      literally(`carla@example.com (${await stripeIdOf(contractor)}): available balance $108.00`)
    )
    declined.assertLogMatches(/Debit \$25\.50 from their Stripe balance: Damaged tools/)
    assert.lengthOf(await ContractorDebit.all(), 0)

    const accepted = await runCommand(ContractorsDebit, argv, (command) => {
      command.prompt.trap('Debit $25.50 from carla@example.com?').accept()
    })
    accepted.assertSucceeded()
    assert.deepEqual(await contractorBalance(contractor), { available: 8250, pending: 0 })
  })
})
