import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSandbox } from '../../stripe_sandbox/index.js'
import { advance, clientFor, DAY, newKey, stripeError } from './helpers.js'

/* What the sandbox keeps is bounded: events and stored idempotent responses. */

test.group('Retention: events', () => {
  test('at most maxEvents are kept, the oldest go first', async ({ assert }) => {
    const sandbox = await startSandbox({ port: 0, log: false, maxEvents: 10 })
    try {
      const stripe = clientFor(sandbox.port, newKey())
      const customers = []
      for (let i = 0; i < 30; i++) {
        customers.push(await stripe.customers.create({ name: `c${i}` }))
      }
      const events = await stripe.events.list({ limit: 100 })
      // Evicted in batches: between the cap and 10 % above it.
      assert.isAtLeast(events.data.length, 10)
      assert.isAtMost(events.data.length, 11)
      assert.equal((events.data[0].data.object as { id: string }).id, customers[29].id)
      assert.isAtMost(sandbox.stats().events, 11)
      const oldest = events.data[events.data.length - 1]
      assert.isAtLeast(
        customers.findIndex((c) => c.id === (oldest.data.object as { id: string }).id),
        19
      )
      // The customers themselves are all kept.
      const all = await stripe.customers.list({ limit: 100 })
      assert.lengthOf(all.data, 30)
    } finally {
      await sandbox.stop()
    }
  })

  test('events older than 30 days of sandbox time are dropped', async ({ assert }) => {
    const sandbox = await startSandbox({ port: 0, log: false })
    try {
      const stripe = clientFor(sandbox.port, newKey())
      await stripe.customers.create({ name: 'old' })
      const before = await stripe.events.list()
      const old = before.data[0]
      await advance(stripe, 31 * DAY)
      await stripe.customers.create({ name: 'new' })
      const gone = await stripeError(stripe.events.retrieve(old.id))
      assert.equal(gone.statusCode, 404)
      const list = await stripe.events.list()
      assert.deepEqual(
        list.data.map((e) => (e.data.object as { name: string }).name),
        ['new']
      )
    } finally {
      await sandbox.stop()
    }
  })
})

test.group('Retention: idempotency keys', (group) => {
  let file: string
  group.each.setup(() => {
    file = join(tmpdir(), `stripe-sandbox-keys-${randomBytes(6).toString('hex')}.db`)
    return () => {
      for (const suffix of ['', '-wal', '-shm']) {
        rmSync(`${file}${suffix}`, { force: true })
      }
    }
  })

  test('without a state file, keys beyond maxIdempotencyKeys are forgotten oldest first', async ({
    assert,
  }) => {
    const sandbox = await startSandbox({ port: 0, log: false, maxIdempotencyKeys: 3 })
    try {
      const stripe = clientFor(sandbox.port, newKey())
      const first = await stripe.customers.create({}, { idempotencyKey: 'k1' })
      for (const key of ['k2', 'k3', 'k4']) {
        await stripe.customers.create({}, { idempotencyKey: key })
      }
      assert.isAtMost(sandbox.stats().idempotencyKeysInMemory, 3)
      const recent = await stripe.customers.create({}, { idempotencyKey: 'k4' })
      assert.equal(recent.lastResponse.headers['idempotent-replayed'], 'true')
      const forgotten = await stripe.customers.create({}, { idempotencyKey: 'k1' })
      assert.notEqual(forgotten.id, first.id)
    } finally {
      await sandbox.stop()
    }
  })

  test('with a state file, keys that left memory are still replayed for 24 h', async ({
    assert,
  }) => {
    const sandbox = await startSandbox({
      port: 0,
      log: false,
      stateFile: file,
      maxIdempotencyKeys: 3,
    })
    try {
      const stripe = clientFor(sandbox.port, newKey())
      const first = await stripe.customers.create({}, { idempotencyKey: 'k1' })
      for (const key of ['k2', 'k3', 'k4', 'k5']) {
        await stripe.customers.create({}, { idempotencyKey: key })
      }
      assert.isAtMost(sandbox.stats().idempotencyKeysInMemory, 3)
      const replay = await stripe.customers.create({}, { idempotencyKey: 'k1' })
      assert.equal(replay.id, first.id)
      assert.equal(replay.lastResponse.headers['idempotent-replayed'], 'true')
      const mismatch = await stripeError(
        stripe.customers.create({ name: 'other' }, { idempotencyKey: 'k1' })
      )
      assert.equal(mismatch.type, 'StripeIdempotencyError')
      await advance(stripe, DAY + 1)
      const expired = await stripe.customers.create({}, { idempotencyKey: 'k1' })
      assert.notEqual(expired.id, first.id)
    } finally {
      await sandbox.stop()
    }
  })

  test('after a restart, only the newest keys are read into memory; the others still replay', async ({
    assert,
  }) => {
    const key = newKey()
    const options = { port: 0, log: false as const, stateFile: file, maxIdempotencyKeys: 2 }
    let sandbox = await startSandbox(options)
    const stripe0 = clientFor(sandbox.port, key)
    const first = await stripe0.customers.create({}, { idempotencyKey: 'k1' })
    for (const idempotencyKey of ['k2', 'k3', 'k4']) {
      await stripe0.customers.create({}, { idempotencyKey })
    }
    await sandbox.stop()
    sandbox = await startSandbox(options)
    try {
      assert.equal(sandbox.stats().idempotencyKeysInMemory, 2)
      const replay = await clientFor(sandbox.port, key).customers.create(
        {},
        { idempotencyKey: 'k1' }
      )
      assert.equal(replay.id, first.id)
      assert.equal(replay.lastResponse.headers['idempotent-replayed'], 'true')
    } finally {
      await sandbox.stop()
    }
  })
})
