import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { userInfo } from 'node:os'
import app from '@adonisjs/core/services/app'
import PaymentEvent from '#models/payment_event'
import { stripeConfig } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor, createEmployer } from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'

interface Outcome {
  code: number
  stdout: string
  stderr: string
}

/**
 * `node ace …` in a real process, with no terminal (stdin is a pipe), on this
 * test run's database and Stripe sandbox
 */
function ace(...argv: string[]): Promise<Outcome> {
  const connection = app.config.get<{
    host: string
    port: number
    user: string
    password?: string
    database: string
  }>('database.connections.postgres.connection')
  const api = stripeConfig().api!
  // The test process' APP_KEY is a Secret ("[redacted]" once in process.env):
  // the child reads the key file instead
  const inherited = { ...process.env }
  delete inherited.APP_KEY
  const credentials = `${encodeURIComponent(connection.user)}:${encodeURIComponent(connection.password ?? '')}`
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['ace', ...argv],
      {
        cwd: app.makePath(),
        env: {
          ...inherited,
          NODE_ENV: 'test',
          FORCE_COLOR: '0',
          TEST_DATABASE_URL: `postgres://${credentials}@${connection.host}:${connection.port}/${connection.database}`,
          STRIPE_SANDBOX_URL: `${api.protocol}://${api.host}:${api.port}`,
        },
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
      }
    )
  })
}

function lines(text: string) {
  return text.split('\n').filter((line) => line.trim() !== '')
}

test.group('Admin commands in a real process', (group) => {
  group.each.setup(() => truncateAllTables())

  test('no terminal: refused without --force, done with it; failures are one line', async ({
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const service = await createService(contractor, { price: 12000 })
    const order = await placeTestOrder(employer, service)

    const refused = await ace('orders:capture', String(order.id))
    assert.equal(refused.code, 1)
    assert.deepEqual(lines(refused.stderr), [
      '[ error ] No terminal to confirm on: nothing was done. Re-run with --force to capture.',
    ])
    const { payment: held } = await stateOf(order)
    assert.equal(held.status, 'authorized')

    const done = await ace('orders:capture', String(order.id), '--force')
    assert.equal(done.code, 0, done.stderr)
    assert.include(
      done.stdout,
      `[ success ] Order #${order.id} captured: $120.00 charged, platform fee $12.00, ` +
        `the contractor receives $108.00 (${held.stripePaymentIntentId}).`
    )
    const { payment: settled } = await stateOf(order)
    assert.equal(settled.status, 'succeeded')
    const captured = await PaymentEvent.query()
      .where('orderId', order.id)
      .where('type', 'payment.succeeded')
      .firstOrFail()
    assert.equal(captured.actor, `console:${userInfo().username}`)

    const unknown = await ace('orders:refund', '999999', '--amount=1.234', '--force')
    assert.equal(unknown.code, 1)
    assert.deepEqual(lines(unknown.stderr), ['[ error ] Order #999999 does not exist.'])

    const badAmount = await ace('orders:refund', String(order.id), '--amount=1.234', '--force')
    assert.equal(badAmount.code, 1)
    assert.deepEqual(lines(badAmount.stderr), ['[ error ] USD amounts have at most 2 decimals.'])
    assert.notInclude(badAmount.stdout + badAmount.stderr, '    at ')
    const { payment: unrefunded } = await stateOf(order)
    assert.equal(unrefunded.amountRefunded, 0)
  }).timeout(120_000)

  test('node ace list shows every admin command', async ({ assert }) => {
    const listed = await ace('list')
    assert.equal(listed.code, 0)
    for (const command of [
      'orders:list',
      'orders:show',
      'orders:capture',
      'orders:cancel',
      'orders:refund',
      'contractors:debit',
      'stripe:reconcile',
    ]) {
      assert.include(listed.stdout, command)
    }
  }).timeout(60_000)
})
