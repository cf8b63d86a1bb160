import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import type Stripe from 'stripe'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { type ServerResponse } from 'node:http'
import { type AddressInfo } from 'node:net'
import { createEngine, startSandbox } from '../../stripe_sandbox/index.js'
import { type Engine } from '../../stripe_sandbox/engine.js'
import { createServer } from '../../stripe_sandbox/server.js'
import { activeAccount, advance, clientFor, DAY, newKey, usdBalance } from './helpers.js'

const card = { allowed_payment_method_types: ['card'] }

/** An object as the state file holds it right now (read by a second connection). */
function savedObject(file: string, id: string): string | undefined {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const row = db.prepare('SELECT obj FROM records WHERE id = ?').get(id) as
      { obj: string } | undefined
    return row?.obj
  } finally {
    db.close()
  }
}

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
    assert.equal(readFileSync(file).subarray(0, 15).toString('latin1'), 'SQLite format 3')
    // Closed cleanly: no journal left next to it.
    const leftovers = readdirSync(dirname(file)).filter(
      (name) => name.startsWith(basename(file)) && name !== basename(file)
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
      const customer = await stripe.customers.create({ name: 'early' })
      let saved: string | undefined
      for (let i = 0; i < 100 && !saved; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        saved = savedObject(file, customer.id)
      }
      assert.include(saved, '"early"')
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

/** Every stored object and the derived balances, as plain JSON (to compare two engines). */
function dump(engine: Engine) {
  const records: Record<string, unknown> = {}
  for (const rec of engine.store.recs.values()) {
    const { seq, type, acct, plat, obj, x } = rec
    records[rec.id] = { seq, type, acct, plat, deleted: Boolean(rec.deleted), obj, x }
  }
  const balances = [...engine.balances].map(([acct, perCurrency]) => [acct, [...perCurrency]])
  return JSON.parse(
    JSON.stringify({
      records,
      balances,
      jobs: engine.scheduler.size,
      offset: engine.clock.offset,
    })
  )
}

test.group('State file: incremental writes', (group) => {
  let file: string
  group.each.setup(() => {
    file = join(tmpdir(), `stripe-sandbox-test-${randomBytes(6).toString('hex')}.db`)
    return () => {
      for (const suffix of ['', '-wal', '-shm', '.v1.json']) {
        rmSync(`${file}${suffix}`, { force: true })
      }
    }
  })

  test('what a reloaded sandbox holds equals what was in memory, after every kind of write', async ({
    assert,
  }) => {
    const engine = createEngine({ log: false, stateFile: file })
    const server = createServer(engine)
    // Write after every response, so each request's changes land in a write of their own
    // (a change the tracking missed would then be lost, and the comparison below fails).
    server.on('request', (_req, res: ServerResponse) => {
      res.on('finish', () => void engine.persistence.drain())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    const stripe = clientFor((server.address() as AddressInfo).port, newKey())
    try {
      const customer = await stripe.customers.create({ email: 'a@example.com' })
      const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id })
      await stripe.customers.update(customer.id, {
        invoice_settings: { default_payment_method: pm.id },
      })
      await stripe.setupIntents.create({
        customer: customer.id,
        payment_method: 'pm_card_mastercard',
        confirm: true,
        ...card,
      })
      const account = await activeAccount(stripe)
      await stripe.accounts.createExternalAccount(account.id, {
        external_account: 'btok_us',
        default_for_currency: true,
      })
      const held = await stripe.paymentIntents.create({
        amount: 10000,
        currency: 'usd',
        customer: customer.id,
        payment_method: pm.id,
        capture_method: 'manual',
        confirm: true,
        application_fee_amount: 1000,
        transfer_data: { destination: account.id },
        ...card,
      })
      await stripe.paymentIntents.capture(held.id, {}, { idempotencyKey: 'capture' })
      await advance(stripe, 2 * DAY + 1)
      await stripe.refunds.create({
        payment_intent: held.id,
        amount: 2500,
        reverse_transfer: true,
        refund_application_fee: true,
      })
      await stripe.payouts.create({ amount: 1000, currency: 'usd' }, { stripeAccount: account.id })
      const disputed = await stripe.paymentIntents.create({
        amount: 5000,
        currency: 'usd',
        payment_method: 'pm_card_createDispute',
        confirm: true,
        ...card,
      })
      const disputes = await stripe.disputes.list({ payment_intent: disputed.id })
      await stripe.disputes.update(disputes.data[0].id, {
        evidence: { uncategorized_text: 'winning_evidence' },
        metadata: { case: '1' },
      })
      const endpoint = await stripe.webhookEndpoints.create({
        url: 'http://127.0.0.1:9/hook',
        enabled_events: ['customer.deleted'],
      })
      await stripe.webhookEndpoints.update(endpoint.id, { disabled: true })
      await stripe.customers.del(customer.id)
      await advance(stripe, 3 * DAY)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    const before = dump(engine)
    await engine.stop()

    const reloaded = createEngine({ log: false, stateFile: file })
    try {
      assert.deepEqual(dump(reloaded), before)
    } finally {
      await reloaded.stop()
    }
  })

  test('a write only touches what changed', async ({ assert }) => {
    const sandbox = await startSandbox({ port: 0, log: false, stateFile: file })
    try {
      const stripe = clientFor(sandbox.port, newKey())
      /** Waits for the next debounced write to happen and finish; returns the rows written so far. */
      const settled = async () => {
        const flushes = sandbox.stats().persistence.flushes
        let previous = -1
        for (let i = 0; i < 200; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20))
          const { rowsWritten, flushes: now } = sandbox.stats().persistence
          if (now > flushes && rowsWritten === previous) {
            return rowsWritten
          }
          previous = rowsWritten
        }
        throw new Error('the state file was not written')
      }
      const customers = []
      for (let i = 0; i < 50; i++) {
        customers.push(await stripe.customers.create({ name: `c${i}` }))
      }
      const afterCreates = await settled()
      assert.isAtLeast(afterCreates, 100, 'each customer and its event')
      await stripe.customers.update(customers[7].id, { name: 'renamed' })
      const afterUpdate = await settled()
      // The customer, its customer.updated event, the idempotency key and the platform account.
      assert.isAtMost(afterUpdate - afterCreates, 4)
      assert.include(savedObject(file, customers[7].id), '"renamed"')
    } finally {
      await sandbox.stop()
    }
  })

  test('a version 1 JSON state file is converted and keeps its objects', async ({ assert }) => {
    const key = newKey()
    // What the sandbox of an earlier version wrote: one JSON document.
    const old = createEngine({ log: false })
    const server = createServer(old)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    const customer = await clientFor((server.address() as AddressInfo).port, key).customers.create({
      email: 'old@example.com',
    })
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await old.stop()
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        clockOffset: 3600,
        storeSeq: old.store.seq,
        records: [...old.store.recs.values()].map(({ id, type, acct, plat, seq, obj, x }) => ({
          id,
          type,
          acct,
          plat,
          seq,
          obj,
          x,
        })),
        scheduler: { seq: 0, jobs: [] },
        idempotency: [],
      })
    )

    let sandbox = await startSandbox({ port: 0, log: false, stateFile: file })
    try {
      const kept = await clientFor(sandbox.port, key).customers.retrieve(customer.id)
      assert.equal((kept as Stripe.Customer).email, 'old@example.com')
      assert.isAtLeast(sandbox.now(), Math.floor(Date.now() / 1000) + 3600)
    } finally {
      await sandbox.stop()
    }
    assert.equal(readFileSync(file).subarray(0, 15).toString('latin1'), 'SQLite format 3')
    assert.equal(JSON.parse(readFileSync(`${file}.v1.json`, 'utf8')).version, 1)
    // And from the converted file on.
    sandbox = await startSandbox({ port: 0, log: false, stateFile: file })
    try {
      const again = await clientFor(sandbox.port, key).customers.retrieve(customer.id)
      assert.equal((again as Stripe.Customer).email, 'old@example.com')
    } finally {
      await sandbox.stop()
    }
  })
})
