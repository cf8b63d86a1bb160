import { readFileSync } from 'node:fs'
import db from '@adonisjs/lucid/services/db'
import app from '@adonisjs/core/services/app'
import { stripe, stripeConfig } from '#stripe/client'
import { queueSnapshot, workerInstances } from '#services/queue'

const PROBE_TIMEOUT_MS = 3000

let version: string | null = null
function appVersion() {
  version ??= JSON.parse(readFileSync(app.makePath('package.json'), 'utf8')).version as string
  return version
}

async function probe(check: () => Promise<unknown>) {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), PROBE_TIMEOUT_MS)
      }),
    ])
    return { ok: true, latency_ms: Math.round(performance.now() - started) }
  } catch {
    // The error text may carry hosts or credentials: it is not shown
    return { ok: false, latency_ms: Math.round(performance.now() - started) }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Background work: the newest heartbeat of a live worker (pg-boss's instance
 * registry; a worker beats every 30 s) and the jobs waiting or failed.
 */
async function background() {
  let worker: { ok: boolean; instances: number; last_heartbeat_at: string | null } = {
    ok: false,
    instances: 0,
    last_heartbeat_at: null,
  }
  let queue: {
    ok: boolean
    backlog: number | null
    failed: number | null
    oldest_queued_seconds: number | null
  } = { ok: false, backlog: null, failed: null, oldest_queued_seconds: null }
  await probe(async () => {
    const [instances, queues] = await Promise.all([workerInstances(), queueSnapshot()])
    const live = instances.filter((instance) => instance.live)
    const beats = live.map((instance) => new Date(instance.heartbeatOn).getTime())
    worker = {
      ok: live.length > 0,
      instances: live.length,
      last_heartbeat_at: beats.length ? new Date(Math.max(...beats)).toISOString() : null,
    }
    queue = {
      ok: true,
      backlog: queues.reduce((sum, row) => sum + row.queued, 0),
      failed: queues.reduce((sum, row) => sum + row.failed, 0),
      oldest_queued_seconds: queues.reduce<number | null>(
        (oldest, row) =>
          row.oldestQueuedSeconds === null
            ? oldest
            : Math.max(oldest ?? 0, row.oldestQueuedSeconds),
        null
      ),
    }
  })
  return { worker, queue }
}

/**
 * App version, reachability of the database and Stripe, the worker's
 * heartbeat and the queue backlog. Only the database decides "healthy":
 * without Stripe or a worker the app still serves pages (payments and
 * background work wait).
 */
export async function checkHealth() {
  const [database, payments, work] = await Promise.all([
    probe(() => db.rawQuery('SELECT 1')),
    probe(() => stripe().balance.retrieve({}, { maxNetworkRetries: 0, timeout: PROBE_TIMEOUT_MS })),
    background(),
  ])
  return {
    healthy: database.ok,
    app: { name: 'crewpay', version: appVersion() },
    database,
    stripe: { ...payments, mode: stripeConfig().mode },
    worker: work.worker,
    queue: work.queue,
  }
}
