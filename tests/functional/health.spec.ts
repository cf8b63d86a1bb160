import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import type { PostgreConfig } from '@adonisjs/lucid/types/database'
import { freePort } from '#infra/net'
import { withStripeUnreachable } from '#tests/helpers/stripe'
import { truncateAllTables } from '#tests/helpers/database'
import { enqueue } from '#services/queue'

test.group('Health', () => {
  test('reports the app version and a reachable database', async ({ client, assert }) => {
    const response = await client.get('/health')

    response.assertStatus(200)
    const body = response.body()
    assert.equal(body.app.name, 'crewpay')
    assert.equal(body.app.version, '0.1.0')
    assert.isTrue(body.database.ok)
    assert.deepInclude(body.stripe, { ok: true, mode: 'sandbox' })
    assert.isTrue(body.healthy)
  })

  test('reports the worker heartbeat and the queue backlog; no worker is not unhealthy', async ({
    client,
    assert,
  }) => {
    await truncateAllTables()
    await enqueue('ensure_stripe_customers', {})

    const response = await client.get('/health')

    response.assertStatus(200)
    const body = response.body()
    // The test process is no worker (tests/functional/webhook_jobs.spec.ts starts real ones)
    assert.deepEqual(body.worker, { ok: false, instances: 0, last_heartbeat_at: null })
    assert.include(body.queue, { ok: true, backlog: 1, failed: 0 })
    assert.isAtLeast(body.queue.oldest_queued_seconds, 0)
    assert.isTrue(body.healthy)
  })

  test('answers 503 when the database is unreachable', async ({ client, assert }) => {
    const deadPort = await freePort()
    const original = db.getRawConnection('postgres')!.config as PostgreConfig
    // A second connection to a port where nothing listens, made primary for one
    // request: the app's own pool (and everything holding it) stays untouched
    db.manager.add('unreachable', {
      ...original,
      connection: { ...(original.connection as object), port: deadPort },
    })
    db.primaryConnectionName = 'unreachable'
    try {
      const response = await client.get('/health')
      response.assertStatus(503)
      assert.isFalse(response.body().database.ok)
      assert.isFalse(response.body().healthy)
      // Nothing about hosts, ports or credentials leaks
      assert.notInclude(response.text(), String(deadPort))
      assert.notInclude(response.text(), 'password')
    } finally {
      db.primaryConnectionName = 'postgres'
      await db.manager.close('unreachable')
      db.manager.release('unreachable')
    }

    const recovered = await client.get('/health')
    recovered.assertStatus(200)
  })
})

test.group('Health with Stripe down', () => {
  test('reports Stripe unreachable but stays up while the database is fine', async ({
    client,
    assert,
  }) => {
    const response = await withStripeUnreachable(() => client.get('/health'))
    response.assertStatus(200)
    assert.isTrue(response.body().database.ok)
    assert.isFalse(response.body().stripe.ok)
  })
})
