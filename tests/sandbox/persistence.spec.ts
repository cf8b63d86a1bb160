import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { startSandbox } from '../../stripe_sandbox/index.js'
import { activeAccount, advance, clientFor, DAY, newKey, usdBalance } from './helpers.js'

const card = { allowed_payment_method_types: ['card'] }

test.group('State file persistence', (group) => {
  let file: string
  group.each.setup(() => {
    file = join(tmpdir(), `stripe-sandbox-test-${randomBytes(6).toString('hex')}.json`)
    return () => rmSync(file, { force: true })
  })

  test('objects, balances, clock, idempotency keys and scheduled work survive a restart', async ({
    assert,
  }) => {
    const key = newKey()
    let sandbox = await startSandbox({ port: 0, log: false, stateFile: file })
    let stripe = clientFor(sandbox.port, key)
    const customer = await stripe.customers.create(
      { email: 'kept@example.com', metadata: { id: '1' } },
      { idempotencyKey: 'customer:kept' }
    )
    const account = await activeAccount(stripe)
    const captured = await stripe.paymentIntents.create({
      amount: 10000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      application_fee_amount: 1000,
      transfer_data: { destination: account.id },
      ...card,
    })
    const held = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      capture_method: 'manual',
      confirm: true,
      ...card,
    })
    const clockBefore = await advance(stripe, DAY)
    const platformBefore = await usdBalance(stripe)
    const connectedBefore = await usdBalance(stripe, account.id)
    await sandbox.stop()

    assert.isTrue(existsSync(file))
    const saved = JSON.parse(readFileSync(file, 'utf8'))
    assert.equal(saved.version, 1)
    const leftovers = readdirSync(dirname(file)).filter(
      (name) => name.startsWith(basename(file)) && name.endsWith('.tmp')
    )
    assert.deepEqual(leftovers, [])

    sandbox = await startSandbox({ port: 0, log: false, stateFile: file })
    try {
      stripe = clientFor(sandbox.port, key)
      assert.isAtLeast(sandbox.now(), clockBefore)
      const kept = await stripe.customers.retrieve(customer.id)
      assert.equal((kept as { email: string }).email, 'kept@example.com')
      const replay = await stripe.customers.create(
        { email: 'kept@example.com', metadata: { id: '1' } },
        { idempotencyKey: 'customer:kept' }
      )
      assert.equal(replay.id, customer.id)
      assert.equal(replay.lastResponse.headers['idempotent-replayed'], 'true')
      const again = await stripe.accounts.retrieve(account.id)
      assert.isTrue(again.charges_enabled)
      assert.deepEqual(await usdBalance(stripe), platformBefore)
      assert.deepEqual(await usdBalance(stripe, account.id), connectedBefore)
      const charge = await stripe.charges.retrieve(captured.latest_charge as string)
      assert.equal(charge.amount_captured, 10000)
      // Scheduled work was saved: funds become available and the hold expires on time.
      await advance(stripe, DAY + 1)
      assert.deepEqual(await usdBalance(stripe, account.id), { available: 9000, pending: 0 })
      const stillHeld = await stripe.paymentIntents.retrieve(held.id)
      assert.equal(stillHeld.status, 'requires_capture')
      await advance(stripe, 5 * DAY)
      const expired = await stripe.paymentIntents.retrieve(held.id)
      assert.equal(expired.status, 'canceled')
      const list = await stripe.customers.list({ email: 'kept@example.com' })
      assert.lengthOf(list.data, 1)
    } finally {
      await sandbox.stop()
    }
  })

  test('a dispute, its withdrawal and its pending ruling survive a restart', async ({ assert }) => {
    const key = newKey()
    let sandbox = await startSandbox({ port: 0, log: false, stateFile: file })
    let stripe = clientFor(sandbox.port, key)
    const pi = await stripe.paymentIntents.create({
      amount: 10000,
      currency: 'usd',
      payment_method: 'pm_card_createDispute',
      confirm: true,
      ...card,
    })
    const disputes = await stripe.disputes.list({ payment_intent: pi.id })
    const dispute = disputes.data[0]
    await stripe.disputes.update(dispute.id, {
      evidence: { uncategorized_text: 'winning_evidence' },
    })
    await sandbox.stop()

    sandbox = await startSandbox({ port: 0, log: false, stateFile: file })
    try {
      stripe = clientFor(sandbox.port, key)
      const kept = await stripe.disputes.retrieve(dispute.id)
      assert.equal(kept.status, 'under_review')
      assert.equal(kept.balance_transactions[0].net, -11500)
      const charge = await stripe.charges.retrieve(pi.latest_charge as string)
      assert.isTrue(charge.disputed)
      assert.deepEqual(await usdBalance(stripe), { available: -11500, pending: 9680 })
      await advance(stripe, 60)
      const won = await stripe.disputes.retrieve(dispute.id)
      assert.equal(won.status, 'won')
      assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 9680 })
    } finally {
      await sandbox.stop()
    }
  })

  test('writes are debounced and happen without waiting for stop()', async ({ assert }) => {
    const sandbox = await startSandbox({ port: 0, log: false, stateFile: file })
    try {
      const stripe = clientFor(sandbox.port, newKey())
      await stripe.customers.create({ name: 'early' })
      for (let i = 0; i < 100 && !existsSync(file); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      assert.isTrue(existsSync(file))
      assert.include(readFileSync(file, 'utf8'), '"early"')
    } finally {
      await sandbox.stop()
    }
  })

  test('without a state file nothing is written and state does not survive', async ({ assert }) => {
    const key = newKey()
    let sandbox = await startSandbox({ port: 0, log: false })
    const customer = await clientFor(sandbox.port, key).customers.create({})
    await sandbox.stop()
    sandbox = await startSandbox({ port: 0, log: false })
    try {
      const error = await clientFor(sandbox.port, key)
        .customers.retrieve(customer.id)
        .catch((e: { statusCode: number }) => e)
      assert.equal((error as { statusCode: number }).statusCode, 404)
      assert.isFalse(existsSync(file))
    } finally {
      await sandbox.stop()
    }
  })
})
