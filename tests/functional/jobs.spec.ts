import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import { DateTime } from 'luxon'
import Payment from '#models/payment'
import JobsStatus from '#commands/jobs_status'
import { enqueue, queue, QUEUE_SCHEMA, runBatch, startWorker, stopQueue } from '#services/queue'
import db from '@adonisjs/lucid/services/db'
import type Stripe from 'stripe'
import { receiveStripeEvent } from '#actions/stripe_events/receive_event'
import type { Job } from 'pg-boss'
import type { JobDefinition } from '#jobs/job'
import { truncateAllTables } from '#tests/helpers/database'
import { runJobs, runJobsOnce } from '#tests/helpers/jobs'
import { createUser } from '#tests/helpers/users'
import {
  createActiveContractor,
  createEmployer,
  profileOf,
  withStripeUnreachable,
} from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { outputOf, runCommand } from '#tests/functional/console_helpers'

test.group('Jobs', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('a worker registers the scheduled jobs', async ({ assert }) => {
    await startWorker()
    try {
      const started = await queue()
      const schedules = await started.getSchedules()
      assert.deepEqual(
        Object.fromEntries(schedules.map((schedule) => [schedule.name, schedule.cron])),
        {
          ensure_stripe_customers: '7 * * * *',
          settle_lines: '*/10 * * * *',
          send_pending_writes: '*/5 * * * *',
          approval_reminders: '*/30 * * * *',
          remind_overdue_requests: '23 * * * *',
          reconcile: '*/15 * * * *',
          settle_holds: '*/10 * * * *',
          follow_bank_payments: '*/15 * * * *',
        }
      )
      assert.isTrue(schedules.every((schedule) => schedule.timezone === 'UTC'))
    } finally {
      await stopQueue()
    }
  })

  test('a fetched batch settles each job on its own: a failing one fails alone', async ({
    assert,
  }) => {
    const handled: number[] = []
    const definition: JobDefinition<{ n: number }> = {
      name: 'batch_check',
      description: 'Fails on its second job',
      queue: {},
      async handle({ n }) {
        handled.push(n)
        if (n === 2) {
          throw new Error('The bank did not answer')
        }
      },
    }
    const batch = [1, 2, 3].map((n) => ({
      id: `job-${n}`,
      name: 'batch_check',
      data: { n },
      retryCount: 0,
    })) as unknown as Job<unknown>[]
    const results = await runBatch(definition, batch)
    assert.deepEqual(handled, [1, 2, 3])
    assert.deepEqual(
      results.map((result) => [result.id, result.status]),
      [
        ['job-1', 'completed'],
        ['job-2', 'failed'],
        ['job-3', 'completed'],
      ]
    )
    assert.equal(results[1].output.message, 'The bank did not answer')

    // Stopping: pg-boss aborted the batch's jobs; those not started are left for their retry
    handled.length = 0
    const stopping = batch.map((job, index) =>
      index === 0 ? job : { ...job, signal: AbortSignal.abort() }
    ) as Job<unknown>[]
    const partial = await runBatch(definition, stopping)
    assert.deepEqual(handled, [1])
    assert.deepEqual(
      partial.map((result) => result.id),
      ['job-1']
    )
  })

  test('the worker fetches webhook events in batches; one that cannot be applied is retried alone', async ({
    assert,
  }) => {
    const events = [1, 2, 3].map((n) => ({
      id: `evt_batch_${n}_${Date.now()}`,
      object: 'event',
      type: 'customer.updated',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: `cus_batch_${n}`, object: 'customer' } },
    })) as unknown as Stripe.Event[]
    const stored = await Promise.all(events.map((event) => receiveStripeEvent(event)))
    const ids = stored.map((result) => result.id!)
    // The second one's lease is held elsewhere: applying it now must fail (and be retried)
    await db.from('stripe_events').where('id', ids[1]).update({ processing_started_at: new Date() })

    const jobsOf = () =>
      db
        .from(`${QUEUE_SCHEMA}.job`)
        .where('name', 'apply_stripe_event')
        .whereIn(db.raw("(data->>'eventId')::int"), ids)
        .select(
          db.raw("(data->>'eventId')::int as event_id"),
          'state',
          db.raw("output->>'message' as failure")
        )
    await startWorker()
    try {
      const deadline = Date.now() + 20_000
      let jobs = await jobsOf()
      while (
        Date.now() < deadline &&
        jobs.some((job) => job.state === 'created' || job.state === 'active')
      ) {
        await new Promise((resolve) => setTimeout(resolve, 200))
        jobs = await jobsOf()
      }
      const stateOfEvent = Object.fromEntries(jobs.map((job) => [job.event_id, job.state]))
      assert.deepEqual(stateOfEvent, {
        [ids[0]]: 'completed',
        [ids[1]]: 'retry',
        [ids[2]]: 'completed',
      })
      const failed = jobs.find((job) => job.event_id === ids[1])
      assert.include(failed.failure, 'is being applied by another process')
    } finally {
      await stopQueue()
    }
    const rows = await db.from('stripe_events').whereIn('id', ids).orderBy('id')
    assert.deepEqual(
      rows.map((row) => row.processed_at !== null),
      [true, false, true]
    )
  })

  test('ensure_stripe_customers gives every employer without one a Stripe customer', async ({
    assert,
  }) => {
    const employers = [await createUser(), await createUser()]
    const contractor = await createUser({ role: 'contractor' })

    await enqueue('ensure_stripe_customers', {})
    const result = await runJobs(['ensure_stripe_customers'])

    assert.deepEqual([result.ran, result.failed], [1, 0])
    for (const employer of employers) {
      const profile = await profileOf(employer)
      assert.match(profile.stripeId!, /^cus_/)
    }
    const untouched = await profileOf(contractor)
    assert.isNull(untouched.stripeId)
  })

  test('settle_holds settles the holds that are due, like holds:expire', async ({ assert }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const service = await createService(contractor, { price: 7000 })
    const due = await placeTestOrder(employer, service)
    const recent = await placeTestOrder(employer, service)
    await Payment.query()
      .where('orderId', due.id)
      .update({ captureBefore: DateTime.now().plus({ hours: 23 }).toJSDate() })

    await enqueue('settle_holds', {})
    const result = await runJobs(['settle_holds'])

    assert.deepEqual([result.ran, result.failed], [1, 0])
    const [settled, untouched] = [await stateOf(due), await stateOf(recent)]
    assert.equal(settled.payment.status, 'canceled')
    assert.equal(settled.line.status, 'canceled')
    assert.equal(untouched.payment.status, 'authorized')
  })

  test('jobs:status lists queues, schedules, backlog, last run and last failure', async ({
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    await enqueue('provision_stripe_identity', { userId: contractor.id })
    await withStripeUnreachable(() => runJobsOnce(['provision_stripe_identity']))
    await enqueue('ensure_stripe_customers', {})
    await runJobs(['ensure_stripe_customers'])
    await enqueue('settle_holds', {})

    const command = await runCommand(JobsStatus, ['--json'])
    command.assertSucceeded()
    const status = JSON.parse(outputOf(command).join('\n'))
    const byName = Object.fromEntries(
      status.queues.map((row: { queue: string }) => [row.queue, row])
    )
    assert.include(byName.settle_holds, { queued: 1, schedule: '*/10 * * * *' })
    assert.include(byName.ensure_stripe_customers, { completed: 1, failed: 0 })
    assert.isNotNull(byName.ensure_stripe_customers.lastCompletedAt)
    assert.include(byName.provision_stripe_identity, { queued: 1 })
    assert.match(byName.provision_stripe_identity.lastError, /connection to Stripe/)
    assert.deepEqual(status.workers, [])
    assert.deepEqual(status.webhookEvents, { pending: 0, failed: 0 })

    const table = await runCommand(JobsStatus, [])
    table.assertSucceeded()
    const printed = outputOf(table).join('\n')
    assert.include(printed, 'settle_holds')
    assert.include(printed, 'No live worker')
    assert.include(printed, 'Mail outbox: 0 queued')
  })
})
