import { test } from '@japa/runner'
import { freePort } from '#infra/net'
import ContractorDebit from '#models/contractor_debit'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor, createEmployer } from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { ace, testDatabaseUrl } from '#tests/helpers/ace_process'
import { approveLines } from '#actions/orders/approve_line'
import { actors } from '#domain/actor'
import Payment from '#models/payment'

function lines(text: string) {
  return text.split('\n').filter((line) => line.trim() !== '')
}

/**
 * A developer's `node ace …` (NODE_ENV=development, no LOG_LEVEL): the
 * app's default log level applies, as it would on their machine.
 */
const DEVELOPMENT = {
  NODE_ENV: 'development',
  DATABASE_URL: testDatabaseUrl(),
  TEST_DATABASE_URL: undefined,
}

test.group('Console output: stdout is for the result alone', (group) => {
  group.each.setup(() => truncateAllTables())

  test('stripe:reconcile --fix --force --json prints JSON alone on stdout; its summary goes to stderr', async ({
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const service = await createService(contractor, { price: 12000 })
    const order = await placeTestOrder(employer, service)
    await approveLines(order.id, null, actors.admin('test'))
    // Someone "fixes" the row by hand: a drift that --fix moves forward
    await Payment.query()
      .where('orderId', order.id)
      .update({ status: 'authorized', amountCaptured: 0, succeededAt: null })
    const { payment } = await stateOf(order)

    const fixed = await ace(['stripe:reconcile', '--fix', '--force', '--json'], DEVELOPMENT)

    assert.equal(fixed.code, 0, fixed.stderr)
    const report = JSON.parse(fixed.stdout)
    assert.lengthOf(report.drifts, 1)
    assert.equal(report.drifts[0].subject, `payment #${payment.id} (order #${order.id})`)
    assert.isTrue(report.drifts[0].fixed)
    assert.deepEqual(lines(fixed.stderr), ['[ info ] 1 drift(s) found; 1 can be fixed.'])
    const { payment: followed } = await stateOf(order)
    assert.equal(followed.status, 'succeeded')

    // Nothing left: the JSON is still alone
    const clean = await ace(['stripe:reconcile', '--json'], DEVELOPMENT)
    assert.equal(clean.code, 0, clean.stderr)
    assert.deepEqual(JSON.parse(clean.stdout).drifts, [])
    assert.equal(clean.stderr, '')
  }).timeout(120_000)

  test('stripe:reconcile --fix --json with no terminal and no --force refuses on stderr, stdout empty', async ({
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const service = await createService(contractor, { price: 12000 })
    const order = await placeTestOrder(employer, service)
    await approveLines(order.id, null, actors.admin('test'))
    await Payment.query()
      .where('orderId', order.id)
      .update({ status: 'authorized', amountCaptured: 0, succeededAt: null })

    const refused = await ace(['stripe:reconcile', '--fix', '--json'], DEVELOPMENT)
    assert.equal(refused.code, 1)
    assert.equal(refused.stdout, '')
    assert.match(lines(refused.stderr).at(-1)!, /^\[ error \] No terminal to confirm on/)
    const { payment: untouched } = await stateOf(order)
    assert.equal(untouched.status, 'authorized')
  }).timeout(120_000)

  test('contractors:debit refused prints its one error line and no log line', async ({
    assert,
  }) => {
    // A new contractor's balance is empty: the debit is refused with the figures
    const contractor = await createActiveContractor()
    const refused = await ace(
      [
        'contractors:debit',
        contractor.email,
        '--amount=5.00',
        '--currency=usd',
        '--reason=Chargeback fee',
        '--force',
      ],
      DEVELOPMENT
    )
    assert.equal(refused.code, 1)
    // Its own summary lines only: no raw JSON log line anywhere
    for (const line of lines(refused.stdout)) {
      assert.match(line, /^\[ (info|success|warn) \] /)
    }
    const errors = lines(refused.stderr)
    assert.lengthOf(errors, 1, refused.stderr)
    assert.match(errors[0], /^\[ error \] The contractor's available Stripe balance \(\$0\.00\)/)
    assert.lengthOf(await ContractorDebit.all(), 0)
  }).timeout(120_000)

  test('by default a console command prints no log line at all: its one error line only', async ({
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const order = await placeTestOrder(employer, await createService(contractor, { price: 12000 }))
    // Stripe does not answer: the Stripe client warns (a log line at `warn`), the command fails
    const unreachable = await ace(['orders:capture', String(order.id), '--force'], {
      ...DEVELOPMENT,
      STRIPE_SANDBOX_URL: `http://127.0.0.1:${await freePort()}`,
    })
    assert.equal(unreachable.code, 1)
    for (const line of [...lines(unreachable.stdout), ...lines(unreachable.stderr)]) {
      assert.notMatch(line, /^\{/, 'no raw JSON log line')
    }
    const errors = lines(unreachable.stderr)
    assert.lengthOf(errors, 1, unreachable.stderr)
    assert.match(errors[0], /^\[ error \] Stripe did not answer/)
  }).timeout(120_000)

  test('a Stripe warning asked for with LOG_LEVEL goes to stderr, never into stdout', async ({
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const order = await placeTestOrder(employer, await createService(contractor, { price: 12000 }))
    // Stripe does not answer this process: the capture logs a warning, then fails in one line
    const unreachable = await ace(['orders:capture', String(order.id), '--force'], {
      ...DEVELOPMENT,
      LOG_LEVEL: 'warn',
      STRIPE_SANDBOX_URL: `http://127.0.0.1:${await freePort()}`,
    })
    assert.equal(unreachable.code, 1)
    assert.notInclude(unreachable.stdout, '{"level"')
    const logged = lines(unreachable.stderr)
    assert.isTrue(
      logged.some((line) => line.startsWith('{') && JSON.parse(line).level === 40),
      'the Stripe warning is logged, on stderr'
    )
    assert.match(logged.at(-1)!, /^\[ error \] Stripe did not answer/)
  }).timeout(120_000)
})
