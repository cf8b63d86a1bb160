import { test } from '@japa/runner'
import { userInfo } from 'node:os'
import PaymentEvent from '#models/payment_event'
import { ace as aceProcess } from '#tests/helpers/ace_process'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor, createEmployer } from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'

/** `node ace …` in a real process (see tests/helpers/ace_process) */
function ace(...argv: string[]) {
  return aceProcess(argv)
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
