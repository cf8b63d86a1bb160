import { PgBoss, fromKnex, type Job, type JobResult } from 'pg-boss'
import { registerQueueStopper } from '#services/queue_stopper'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { JobDefinition } from '#jobs/job'
import { jobs, jobNamed, type JobData, type JobName } from '#jobs/registry'
import { runWithLogContext } from '#services/log_context'
import { jobsEnqueued, jobsRun } from '#services/metrics'

/*
|--------------------------------------------------------------------------
| The job queue: pg-boss on the app's own PostgreSQL (schema "pgboss")
|--------------------------------------------------------------------------
|
| Any process can queue jobs: pg-boss starts on first use, with no timers of
| its own (no maintenance, no schedules). Workers (the dev server in process,
| `node ace jobs:work` in production, any number on any number of machines)
| also run maintenance and the schedules; pg-boss's SKIP LOCKED fetch gives
| each job to one worker.
|
*/

export const QUEUE_SCHEMA = 'pgboss'

let boss: PgBoss | null = null
let starting: Promise<PgBoss> | null = null
let workerRunning = false

function connectionOptions() {
  const connection = app.config.get<
    string | { host: string; port: number; user: string; password?: string; database: string }
  >('database.connections.postgres.connection')
  return typeof connection === 'string' ? { connectionString: connection } : { ...connection }
}

async function startBoss(asWorker: boolean) {
  const instance = new PgBoss({
    ...connectionOptions(),
    schema: QUEUE_SCHEMA,
    application_name: asWorker ? 'crewpay-worker' : 'crewpay',
    max: asWorker ? 6 : 3,
    supervise: asWorker,
    schedule: asWorker,
    // The registry of live instances is the worker heartbeat /health reports
    registerInstance: asWorker,
    instanceName: asWorker ? 'worker' : undefined,
  })
  instance.on('error', (error) => logger.error({ err: error }, 'Job queue error'))
  await instance.start()
  for (const job of jobs) {
    await instance.createQueue(job.name, job.queue)
    await instance.updateQueue(job.name, job.queue)
  }
  return instance
}

/** The started queue (started on first use, as a producer) */
export async function queue(): Promise<PgBoss> {
  if (boss) {
    return boss
  }
  starting ??= startBoss(false).then(
    (started) => {
      boss = started
      starting = null
      return started
    },
    (error) => {
      starting = null
      throw error
    }
  )
  return starting
}

/**
 * Queues a job. With `trx`, the job is written in that transaction: workers
 * see it after the commit, and a rollback takes it back.
 */
export async function enqueue<Name extends JobName>(
  name: Name,
  data: JobData<Name>,
  options: { trx?: TransactionClientContract; startAfter?: Date; singletonKey?: string } = {}
) {
  const started = await queue()
  const id = await started.send(name, data as object, {
    ...(options.trx ? { db: fromKnex(options.trx.knexClient) } : {}),
    ...(options.startAfter ? { startAfter: options.startAfter } : {}),
    ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
  })
  jobsEnqueued.inc({ queue: name })
  return id
}

/**
 * Queues many jobs of one kind in one statement (pg-boss `insert`), in `trx`
 * when given: the webhook intake queues a batch of events this way.
 */
export async function enqueueMany<Name extends JobName>(
  name: Name,
  data: JobData<Name>[],
  options: { trx?: TransactionClientContract } = {}
) {
  const started = await queue()
  await started.insert(
    name,
    data.map((entry) => ({ data: entry as object })),
    options.trx ? { db: fromKnex(options.trx.knexClient) } : {}
  )
  jobsEnqueued.inc({ queue: name }, data.length)
}

/** Runs one job with its log context and metrics; throws what the handler throws */
async function runJob(definition: JobDefinition<any>, job: Job<unknown>) {
  return runWithLogContext({ jobId: job.id, job: definition.name }, async () => {
    const started = performance.now()
    try {
      await definition.handle(job.data as object, { id: job.id, retryCount: job.retryCount })
      jobsRun.observe({ queue: definition.name, outcome: 'completed' }, elapsed(started))
    } catch (error) {
      jobsRun.observe({ queue: definition.name, outcome: 'failed' }, elapsed(started))
      logger.warn(
        { err: error, retryCount: job.retryCount },
        `Job ${definition.name} failed (attempt ${job.retryCount + 1})`
      )
      throw error
    }
  })
}

/**
 * A fetched batch, one job after another: each is completed or failed (and
 * retried) on its own, so one failing job never repeats the others
 */
export async function runBatch(
  definition: JobDefinition<any>,
  batch: Job<unknown>[]
): Promise<JobResult[]> {
  const results: JobResult[] = []
  for (const job of batch) {
    // Stopping: pg-boss failed the jobs in hand (to be retried); the rest are not started
    if (job.signal?.aborted) {
      break
    }
    try {
      await runJob(definition, job)
      results.push({ id: job.id, status: 'completed' })
    } catch (error) {
      results.push({ id: job.id, status: 'failed', output: failureOf(error) })
    }
  }
  return results
}

/** What a failed job keeps as its output (pg-boss stores a thrown error the same way) */
function failureOf(error: unknown) {
  return error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { message: String(error) }
}

function elapsed(started: number) {
  return (performance.now() - started) / 1000
}

/**
 * Makes this process a worker: every queue of the registry is worked, the
 * scheduled jobs are (re)registered, and maintenance runs. Idempotent.
 */
export async function startWorker() {
  if (workerRunning) {
    return
  }
  workerRunning = true
  if (starting) {
    await starting.catch(() => {})
  }
  if (boss) {
    // A producer started earlier (e.g. by the demo seeder) has no maintenance or schedules
    await boss.stop({ graceful: true, close: true })
    boss = null
  }
  boss = await startBoss(true)
  const started = boss
  for (const definition of jobs) {
    await started.work(
      definition.name,
      {
        localConcurrency: definition.concurrency ?? 1,
        pollingIntervalSeconds: 1,
        // With a backlog (a webhook burst) each slot fetches again at once
        // rather than a polling interval later: while its batches come back
        // full, or (batches of 1) while pg-boss's ready count, refreshed once
        // a minute, says jobs wait. Each job of a batch settles on its own.
        batchSize: definition.batchSize ?? 1,
        burstWhenBatchFull: true,
        burstWhenReadyExceeds: 1,
        perJobResults: true,
      },
      (batch) => runBatch(definition, batch)
    )
  }
  const scheduled = new Set<string>()
  for (const definition of jobs) {
    if (definition.schedule) {
      await started.schedule(definition.name, definition.schedule, {}, { tz: 'UTC' })
      scheduled.add(definition.name)
    }
  }
  // A schedule of a job that no longer exists (or no longer recurs) stops
  for (const schedule of await started.getSchedules()) {
    if (!scheduled.has(schedule.name)) {
      await started.unschedule(schedule.name, schedule.key)
    }
  }
  logger.info(`Job worker started: ${jobs.map((job) => job.name).join(', ')}`)
}

/** Stops the queue: a worker finishes the jobs in hand first (up to 20 s) */
export async function stopQueue() {
  if (starting) {
    await starting.catch(() => {})
  }
  const running = boss
  const wasWorker = workerRunning
  boss = null
  workerRunning = false
  if (running) {
    await running.stop({ graceful: true, close: true, timeout: 20_000 })
    if (wasWorker) {
      logger.info('Job worker stopped')
    }
  }
}

registerQueueStopper(stopQueue)

export function isWorker() {
  return workerRunning
}

/**
 * Runs the jobs waiting in the given queues (all by default) one after the
 * other, in this process, until none is left; returns how many ran and failed.
 * `node ace jobs:work --once` uses it; tests use it to drive jobs without a
 * polling worker (`ignoreStartAfter` also runs retries whose backoff is not
 * over yet).
 */
export async function runQueuedJobs(
  options: { names?: JobName[]; ignoreStartAfter?: boolean; limit?: number } = {}
) {
  const started = await queue()
  const names = options.names ?? jobs.map((job) => job.name as JobName)
  const limit = options.limit ?? 1000
  const result = { ran: 0, failed: 0, errors: [] as string[] }
  let progressed = true
  while (progressed && result.ran < limit) {
    progressed = false
    for (const name of names) {
      const [job] = await started.fetch<object>(name, {
        ignoreStartAfter: options.ignoreStartAfter ?? false,
      })
      if (!job) {
        continue
      }
      progressed = true
      result.ran += 1
      try {
        await runJob(jobNamed(name), job)
        await started.complete(name, job.id)
      } catch (error) {
        result.failed += 1
        const message = error instanceof Error ? error.message : String(error)
        result.errors.push(`${name}: ${message}`)
        await started.fail(name, job.id, { message })
      }
    }
  }
  return result
}

export interface QueueRow {
  queue: string
  queued: number
  active: number
  failed: number
  completed: number
  oldestQueuedSeconds: number | null
  lastStartedAt: Date | null
  lastCompletedAt: Date | null
  lastFailedAt: Date | null
  lastError: string | null
}

async function queueSchemaExists() {
  const result = await db.rawQuery(`SELECT to_regclass(?) AS job`, [`${QUEUE_SCHEMA}.job`])
  return Boolean(result.rows[0]?.job)
}

/**
 * Each queue of the registry: jobs waiting, running, failed (kept for 7
 * days), the age of the oldest waiting job, the last run and the last
 * failure. Read straight from pg-boss's table (its own counts are cached).
 */
export async function queueSnapshot(): Promise<QueueRow[]> {
  if (!(await queueSchemaExists())) {
    return jobs.map((job) => emptyRow(job.name))
  }
  const counts = await db.rawQuery(
    `SELECT name,
       count(*) FILTER (WHERE state IN ('created', 'retry'))::int AS queued,
       count(*) FILTER (WHERE state = 'active')::int AS active,
       count(*) FILTER (WHERE state = 'failed')::int AS failed,
       count(*) FILTER (WHERE state = 'completed')::int AS completed,
       EXTRACT(EPOCH FROM now() - min(created_on) FILTER (WHERE state IN ('created', 'retry')))::float AS oldest,
       max(started_on) AS last_started,
       max(completed_on) FILTER (WHERE state = 'completed') AS last_completed,
       max(completed_on) FILTER (WHERE state = 'failed') AS last_failed
     FROM ${QUEUE_SCHEMA}.job GROUP BY name`
  )
  const failures = await db.rawQuery(
    `SELECT DISTINCT ON (name) name, output->>'message' AS message
     FROM ${QUEUE_SCHEMA}.job WHERE state IN ('failed', 'retry') AND output IS NOT NULL
     ORDER BY name, COALESCE(completed_on, started_on, created_on) DESC`
  )
  const byName = new Map<string, any>(counts.rows.map((row: any) => [row.name, row]))
  const errors = new Map<string, string>(
    failures.rows.map((row: any) => [row.name, row.message as string])
  )
  return jobs.map((job) => {
    const row = byName.get(job.name)
    if (!row) {
      return { ...emptyRow(job.name), lastError: errors.get(job.name) ?? null }
    }
    return {
      queue: job.name,
      queued: row.queued,
      active: row.active,
      failed: row.failed,
      completed: row.completed,
      oldestQueuedSeconds: row.oldest === null ? null : Math.max(0, Math.round(row.oldest)),
      lastStartedAt: row.last_started,
      lastCompletedAt: row.last_completed,
      lastFailedAt: row.last_failed,
      lastError: errors.get(job.name) ?? null,
    }
  })
}

function emptyRow(name: string): QueueRow {
  return {
    queue: name,
    queued: 0,
    active: 0,
    failed: 0,
    completed: 0,
    oldestQueuedSeconds: null,
    lastStartedAt: null,
    lastCompletedAt: null,
    lastFailedAt: null,
    lastError: null,
  }
}

/** Live worker processes (pg-boss instance registry: a heartbeat every 30 s) */
export async function workerInstances() {
  if (!(await queueSchemaExists())) {
    return []
  }
  const started = await queue()
  const instances = await started.getInstances()
  return instances.filter((instance) => instance.supervise || instance.workers.length > 0)
}

/** Removes every job (tests start from an empty queue) */
export async function clearQueue() {
  const started = await queue()
  await started.deleteAllJobs()
}
