import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import db from '@adonisjs/lucid/services/db'

/*
|--------------------------------------------------------------------------
| Prometheus metrics (GET /metrics)
|--------------------------------------------------------------------------
|
| Counters and histograms count what this process did (its HTTP requests,
| Stripe calls, the webhook events and jobs it handled). Gauges read from the
| database on each scrape (queue backlog, failed jobs, stored events not
| applied) are the same whichever process serves them.
|
*/

export const registry = new Registry()
collectDefaultMetrics({ register: registry, prefix: 'crewpay_process_' })

/** Seconds; from a fast page to a slow Stripe round trip */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

export const httpRequestDuration = new Histogram({
  name: 'crewpay_http_request_duration_seconds',
  help: 'HTTP requests by route pattern, method and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: DURATION_BUCKETS,
  registers: [registry],
})

export const stripeRequestDuration = new Histogram({
  name: 'crewpay_stripe_request_duration_seconds',
  help: 'Stripe API calls (each network attempt) by operation and outcome',
  labelNames: ['operation', 'outcome'] as const,
  buckets: DURATION_BUCKETS,
  registers: [registry],
})

export const stripeErrors = new Counter({
  name: 'crewpay_stripe_errors_total',
  help: "Stripe API calls that failed, by operation and Stripe's error code",
  labelNames: ['operation', 'code'] as const,
  registers: [registry],
})

export const webhookEventsReceived = new Counter({
  name: 'crewpay_webhook_events_received_total',
  help: 'Stripe webhook deliveries verified and stored (duplicate="true": already stored)',
  labelNames: ['type', 'duplicate'] as const,
  registers: [registry],
})

export const webhookEventsApplied = new Counter({
  name: 'crewpay_webhook_events_applied_total',
  help: 'Stripe events applied',
  labelNames: ['type'] as const,
  registers: [registry],
})

export const webhookEventsFailed = new Counter({
  name: 'crewpay_webhook_events_failed_total',
  help: 'Attempts to apply a Stripe event that failed (it is retried)',
  labelNames: ['type'] as const,
  registers: [registry],
})

export const webhookLag = new Histogram({
  name: 'crewpay_webhook_lag_seconds',
  help: "From the event's creation on Stripe to its application here",
  labelNames: ['type'] as const,
  buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400],
  registers: [registry],
})

export const jobsRun = new Histogram({
  name: 'crewpay_job_duration_seconds',
  help: 'Jobs run by this process, by queue and outcome',
  labelNames: ['queue', 'outcome'] as const,
  buckets: DURATION_BUCKETS,
  registers: [registry],
})

export const jobsEnqueued = new Counter({
  name: 'crewpay_jobs_enqueued_total',
  help: 'Jobs queued by this process',
  labelNames: ['queue'] as const,
  registers: [registry],
})

/*
| Read at scrape time
*/

new Gauge({
  name: 'crewpay_db_pool_connections',
  help: "The app's PostgreSQL pool: connections in use, idle, and requests waiting for one",
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    const pool = db.manager.get('postgres')?.connection?.pool
    if (!pool) {
      return
    }
    this.set({ state: 'used' }, pool.numUsed())
    this.set({ state: 'free' }, pool.numFree())
    this.set({ state: 'waiting' }, pool.numPendingAcquires())
  },
})

const jobsGauge = new Gauge({
  name: 'crewpay_jobs',
  help: 'Jobs stored in the queue by state (queued = created or retry; failed = retries exhausted, kept 7 days)',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
})

const jobsAge = new Gauge({
  name: 'crewpay_jobs_oldest_queued_age_seconds',
  help: 'Age of the oldest job waiting in each queue',
  labelNames: ['queue'] as const,
  registers: [registry],
})

const storedEvents = new Gauge({
  name: 'crewpay_webhook_events_unapplied',
  help: 'Stored Stripe events not applied yet (state="failed": at least one attempt failed)',
  labelNames: ['state'] as const,
  registers: [registry],
})

/** Reads the database-backed gauges; a failure leaves them out of this scrape */
async function collectFromDatabase() {
  const { queueSnapshot } = await import('#services/queue')
  const snapshot = await queueSnapshot()
  jobsGauge.reset()
  jobsAge.reset()
  for (const row of snapshot) {
    jobsGauge.set({ queue: row.queue, state: 'queued' }, row.queued)
    jobsGauge.set({ queue: row.queue, state: 'active' }, row.active)
    jobsGauge.set({ queue: row.queue, state: 'failed' }, row.failed)
    jobsAge.set({ queue: row.queue }, row.oldestQueuedSeconds ?? 0)
  }
  const events = await db
    .from('stripe_events')
    .whereNull('processed_at')
    .select(
      db.raw('count(*) FILTER (WHERE processing_error IS NOT NULL)::int AS failed'),
      db.raw('count(*) FILTER (WHERE processing_error IS NULL)::int AS pending')
    )
    .first()
  storedEvents.set({ state: 'failed' }, events?.failed ?? 0)
  storedEvents.set({ state: 'pending' }, events?.pending ?? 0)
}

/** The Prometheus text of every metric */
export async function renderMetrics() {
  await collectFromDatabase().catch(() => {})
  return { contentType: registry.contentType, body: await registry.metrics() }
}

/** Stripe path words with an underscore (ids are `prefix_…`, resources can be too) */
const PATH_WORDS = new Set([
  'account_links',
  'account_sessions',
  'advance_clock',
  'application_fees',
  'balance_transactions',
  'checkout_sessions',
  'credit_notes',
  'external_accounts',
  'login_links',
  'payment_intents',
  'payment_links',
  'payment_methods',
  'setup_intents',
  'tax_ids',
  'tax_rates',
  'test_clocks',
  'test_helpers',
  'verify_microdeposits',
  'webhook_endpoints',
])

/**
 * "POST /v1/payment_intents/:id/capture": the path with Stripe ids (segments
 * with a digit, a capital or an underscore that is not a path word) replaced,
 * so labels stay few.
 */
export function stripeOperation(method: string, path: string) {
  const [pathname] = path.split('?')
  const segments = pathname.split('/').map((segment, index) => {
    const isId =
      index > 1 && (/[0-9A-Z]/.test(segment) || (segment.includes('_') && !PATH_WORDS.has(segment)))
    return isId ? ':id' : segment
  })
  return `${method.toUpperCase()} ${segments.join('/')}`
}
