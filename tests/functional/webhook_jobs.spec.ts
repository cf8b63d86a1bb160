import { test } from '@japa/runner'
import { testDatabaseUrl, testSandboxUrl } from '#tests/helpers/ace_process'
import { execFile, type ChildProcess } from 'node:child_process'
import ace from '@adonisjs/core/services/ace'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import type Stripe from 'stripe'
import type { ApiClient } from '@japa/api-client'
import StripeEvent from '#models/stripe_event'
import PaymentEvent from '#models/payment_event'
import type { StripeConfig } from '#config/stripe'
import { freePort } from '#infra/net'
import { stripe } from '#stripe/client'
import { queueSnapshot } from '#services/queue'
import WebhooksList from '#commands/webhooks_list'
import WebhooksRetry from '#commands/webhooks_retry'
import { truncateAllTables } from '#tests/helpers/database'
import { runJobs, runJobsOnce } from '#tests/helpers/jobs'
import { createUser } from '#tests/helpers/users'
import {
  createActiveContractor,
  createEmployer,
  profileOf,
  signedWebhook,
  withStripeUnreachable,
} from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { errorsOf, outputOf, runCommand } from '#tests/functional/console_helpers'
import { ensureConnectAccount } from '#actions/onboarding/ensure_account'

function post(client: ApiClient, payload: string, signature: string) {
  return client
    .post('/stripe/webhook')
    .header('stripe-signature', signature)
    .header('content-type', 'application/json')
    .json(JSON.parse(payload))
}

/** Jobs of apply_stripe_event waiting */
async function applyJobsQueued() {
  const snapshot = await queueSnapshot()
  return snapshot.find((row) => row.queue === 'apply_stripe_event')!.queued
}

/** An account.updated event for an account that is not ours: applied without a Stripe call */
function foreignAccountEvent() {
  const id = `acct_test_${Math.random().toString(36).slice(2)}`
  return signedWebhook({ type: 'account.updated', account: id, data: { object: { id } } })
}

test.group('Webhooks: stored, answered, applied by a job', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('a delivery is answered before the event is applied', async ({ client, assert }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const order = await placeTestOrder(employer, await createService(contractor, { price: 5000 }))
    const { payment: held } = await stateOf(order)
    await stripe().paymentIntents.cancel(held.stripePaymentIntentId!)
    const events = await stripe().events.list({ type: 'payment_intent.canceled', limit: 10 })
    const event = events.data[0]
    const { payload, signature } = signedWebhook(event as never)

    const response = await post(client, payload, signature)

    response.assertStatus(200)
    assert.deepEqual(response.body(), { received: true, duplicate: false })
    const stored = await StripeEvent.findByOrFail('stripeEventId', event.id)
    assert.equal(stored.state, 'pending')
    assert.equal(stored.attempts, 0)
    assert.equal(await applyJobsQueued(), 1)
    const { payment: before } = await stateOf(order)
    assert.equal(before.status, 'authorized', 'not applied inside the request')

    await runJobs()
    await stored.refresh()
    assert.equal(stored.state, 'applied')
    assert.equal(stored.attempts, 1)
    const { payment: after } = await stateOf(order)
    assert.equal(after.status, 'canceled')
    assert.equal(await applyJobsQueued(), 0)
  })

  test('an event delivered twice at once is stored once and applied once', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const order = await placeTestOrder(employer, await createService(contractor, { price: 5000 }))
    const { payment: held } = await stateOf(order)
    await stripe().paymentIntents.cancel(held.stripePaymentIntentId!)
    const listed = await stripe().events.list({ type: 'payment_intent.canceled', limit: 1 })
    const [event] = listed.data
    const { payload, signature } = signedWebhook(event as never)

    const answers = await Promise.all([
      post(client, payload, signature),
      post(client, payload, signature),
    ])
    assert.deepEqual(
      answers.map((answer) => answer.status()),
      [200, 200]
    )
    assert.sameMembers(
      answers.map((answer) => answer.body().duplicate),
      [true, false]
    )
    // Both appliers race for it: the lease lets one through
    await Promise.all([runJobs(), runJobs()])

    const stored = await StripeEvent.query().where('stripeEventId', event.id)
    assert.lengthOf(stored, 1)
    assert.equal(stored[0].attempts, 1)
    const cancellations = await PaymentEvent.query()
      .where('orderId', order.id)
      .where('type', 'payment.canceled')
    assert.lengthOf(cancellations, 1)
  })

  test('a burst with duplicates, stored while no worker runs, is applied once per event later', async ({
    client,
    assert,
  }) => {
    // Accounts and payments Crewpay does not know, and a type it does not handle
    const events = Array.from({ length: 12 }, (_, index) => {
      if (index % 3 === 0) {
        const id = `pi_unknown_${index}_${Math.random().toString(36).slice(2)}`
        return signedWebhook({
          type: 'payment_intent.canceled',
          data: { object: { id, object: 'payment_intent', status: 'canceled' } },
        })
      }
      if (index % 3 === 1) return foreignAccountEvent()
      return signedWebhook({ type: 'customer.created', data: { object: { id: `cus_${index}` } } })
    })
    // Every event delivered three times, all at once (they share batches)
    const deliveries = [...events, ...events, ...events]
    const answers = await Promise.all(
      deliveries.map(({ payload, signature }) => post(client, payload, signature))
    )
    assert.deepEqual(
      answers.map((answer) => answer.status()),
      deliveries.map(() => 200)
    )
    const stored = answers.filter((answer) => answer.body().duplicate === false)
    assert.lengthOf(stored, events.length, 'each event stored by exactly one delivery')
    const rows = await StripeEvent.query().orderBy('id')
    assert.sameMembers(
      rows.map((row) => row.stripeEventId),
      events.map(({ payload }) => JSON.parse(payload).id)
    )
    assert.isTrue(rows.every((row) => row.state === 'pending'))
    assert.equal(await applyJobsQueued(), events.length, 'one job per event, none per duplicate')

    // The worker comes back: each event applied once, nothing left to do after
    await runJobs(['apply_stripe_event'])
    const applied = await StripeEvent.query().orderBy('id')
    assert.deepEqual(
      applied.map((row) => [row.state, row.attempts]),
      applied.map(() => ['applied', 1])
    )
    assert.equal(await applyJobsQueued(), 0)
    const again = await runJobs(['apply_stripe_event'])
    assert.equal(again.ran, 0)
  })

  test('an event that fails twice is retried and applied the third time', async ({
    client,
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    const accountId = await ensureConnectAccount(contractor)
    const account = await stripe().accounts.retrieve(accountId)
    const { payload, signature } = signedWebhook({
      type: 'account.updated',
      account: accountId,
      data: { object: account as never },
    })
    const answer = await post(client, payload, signature)
    answer.assertStatus(200)
    const stored = await StripeEvent.findByOrFail('account', accountId)

    // Applying reads the account from Stripe, which is away for two attempts
    for (const attempt of [1, 2]) {
      const run = await withStripeUnreachable(() => runJobsOnce(['apply_stripe_event']))
      assert.equal(run.failed, 1, `attempt ${attempt}`)
      await stored.refresh()
      assert.equal(stored.state, 'failed')
      assert.equal(stored.attempts, attempt)
    }
    assert.match(stored.processingError!, /connection to Stripe/)
    const jobs = await db.rawQuery(
      `SELECT state, retry_count FROM pgboss.job WHERE name = 'apply_stripe_event'`
    )
    const [job] = jobs.rows
    // pg-boss counts re-claims: the second attempt was retry 1
    assert.deepEqual(job, { state: 'retry', retry_count: 1 })

    const failed = await runCommand(WebhooksList, ['--failed', '--json'])
    failed.assertSucceeded()
    const listed = JSON.parse(outputOf(failed).join('\n'))
    assert.deepEqual(
      listed.map((row: { stripeEventId: string; attempts: number }) => [
        row.stripeEventId,
        row.attempts,
      ]),
      [[stored.stripeEventId, 2]]
    )

    const third = await runJobs(['apply_stripe_event'])
    assert.deepEqual([third.ran, third.failed], [1, 0])
    await stored.refresh()
    assert.equal(stored.state, 'applied')
    assert.equal(stored.attempts, 3)
    assert.isNull(stored.processingError)
    const synced = await profileOf(contractor)
    assert.isNotNull(synced.stripeSyncedAt)
    const none = await runCommand(WebhooksList, ['--failed'])
    assert.include(outputOf(none).join('\n'), 'No failed event.')
  })

  test('webhooks:retry applies a failed event now, and says why when it cannot', async ({
    client,
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    const accountId = await ensureConnectAccount(contractor)
    const account = await stripe().accounts.retrieve(accountId)
    const { payload, signature } = signedWebhook({
      type: 'account.updated',
      account: accountId,
      data: { object: account as never },
    })
    await post(client, payload, signature)
    // Its retries ran out while Stripe was away
    await withStripeUnreachable(() => runJobsOnce(['apply_stripe_event']))
    const stored = await StripeEvent.findByOrFail('account', accountId)
    await db.rawQuery(`UPDATE pgboss.job SET state = 'failed' WHERE name = 'apply_stripe_event'`)

    const again = await withStripeUnreachable(() =>
      runCommand(WebhooksRetry, [stored.stripeEventId])
    )
    again.assertExitCode(1)
    assert.match(errorsOf(again).join('\n'), /failed again: .*connection to Stripe/)

    const retried = await runCommand(WebhooksRetry, [String(stored.id)])
    retried.assertSucceeded()
    assert.include(
      outputOf(retried).join('\n'),
      `${stored.stripeEventId} (account.updated) applied`
    )
    await stored.refresh()
    assert.equal(stored.state, 'applied')
    assert.equal(stored.attempts, 3)

    const done = await runCommand(WebhooksRetry, [stored.stripeEventId])
    done.assertSucceeded()
    assert.include(outputOf(done).join('\n'), 'was applied already')

    const unknown = await runCommand(WebhooksRetry, ['evt_nope'])
    unknown.assertExitCode(1)
    assert.deepEqual(errorsOf(unknown), [
      '[ red(error) ] No stored event evt_nope (see node ace webhooks:list).',
    ])
  })
})

test.group('Webhooks: a NUL byte in a connected account', (group) => {
  group.each.setup(() => truncateAllTables())

  test('is stored, answered 200 and applied; later events of the account keep coming', async ({
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    const accountId = await ensureConnectAccount(contractor)
    const config = app.config.get<StripeConfig>('stripe')
    const endpoint = await stripe().webhookEndpoints.create({
      url: `http://${process.env.HOST}:${process.env.PORT}/stripe/webhook`,
      enabled_events: ['account.updated'],
      connect: true,
    })
    const secrets = config.webhookSecrets
    app.config.set('stripe.webhookSecrets', [...secrets, endpoint.secret!])

    const storedFor = async (eventId: string) => {
      // Deliveries are asynchronous: wait for them (no assertion on how long)
      for (let attempt = 0; attempt < 200; attempt++) {
        const found = await StripeEvent.findBy('stripeEventId', eventId)
        const event = await stripe().events.retrieve(eventId, {}, { stripeAccount: accountId })
        const delivered = event.pending_webhooks === 0
        if (found && delivered) {
          return found
        }
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      throw new Error(`${eventId} was not delivered`)
    }
    const lastAccountEvent = async () => {
      const listed = await stripe().events.list(
        { type: 'account.updated', limit: 1 },
        { stripeAccount: accountId }
      )
      return listed.data[0]
    }

    try {
      // A name with a NUL byte, as Stripe keeps it (e.g. typed on Stripe's Dashboard)
      await stripe().accounts.update(accountId, {
        individual: { first_name: 'Ada\u0000', last_name: 'Lo\u0000velace' },
      })
      const withNul = await lastAccountEvent()
      assert.include(JSON.stringify((withNul.data.object as Stripe.Account).individual), '\\u0000')
      const stored = await storedFor(withNul.id)
      // Stored exactly (text) and as queryable JSON (NUL replaced)
      assert.include(stored.rawPayload!, 'Ada\\u0000')
      assert.equal(
        (stored.payload.data.object as Stripe.Account).individual?.first_name,
        'Ada\uFFFD'
      )
      assert.equal((stored.event.data.object as Stripe.Account).individual?.first_name, 'Ada\u0000')

      await runJobs(['apply_stripe_event'])
      await stored.refresh()
      assert.equal(stored.state, 'applied')
      const synced = await profileOf(contractor)
      assert.isNotNull(synced.stripeSyncedAt)

      // The next event of the account is delivered and applied as well
      await stripe().accounts.update(accountId, { individual: { first_name: 'Ada' } })
      const next = await lastAccountEvent()
      assert.notEqual(next.id, withNul.id)
      const later = await storedFor(next.id)
      await runJobs(['apply_stripe_event'])
      await later.refresh()
      assert.equal(later.state, 'applied')
    } finally {
      app.config.set('stripe.webhookSecrets', secrets)
      await stripe().webhookEndpoints.del(endpoint.id)
    }
  })

  test('a signed payload with a NUL byte posted directly is answered 200, never 500', async ({
    client,
    assert,
  }) => {
    const { payload, signature } = signedWebhook({
      type: 'customer.updated',
      data: {
        object: {
          id: 'cus_nul',
          object: 'customer',
          name: 'Bad\u0000Name',
          metadata: { 'k\u0000': 'v' },
        },
      },
    })
    assert.include(payload, '\\u0000')

    const response = await post(client, payload, signature)

    response.assertStatus(200)
    const stored = await StripeEvent.findByOrFail('type', 'customer.updated')
    assert.equal(stored.rawPayload, payload)
    assert.deepEqual(stored.payload.data.object.metadata, { 'k\uFFFD': 'v' })
    await runJobs(['apply_stripe_event'])
    await stored.refresh()
    assert.equal(stored.state, 'applied')
  })
})

/** `node ace jobs:work` in a real process on this test run's database and sandbox */
function startWorkerProcess(smtpPort: number) {
  const inherited = { ...process.env }
  delete inherited.APP_KEY
  return new Promise<{ child: ChildProcess; exited: Promise<number | null> }>((resolve) => {
    const child = execFile(process.execPath, ['ace', 'jobs:work'], {
      cwd: app.makePath(),
      env: {
        ...inherited,
        NODE_ENV: 'test',
        FORCE_COLOR: '0',
        TEST_DATABASE_URL: testDatabaseUrl(),
        STRIPE_SANDBOX_URL: testSandboxUrl(),
        // Mail configured (nowhere): no mail catcher in the child
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(smtpPort),
      },
    })
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
    resolve({ child, exited })
  })
}

test.group('Webhooks: two worker processes on one database', (group) => {
  group.each.setup(() => truncateAllTables())

  test('each event is applied once; /health sees the workers; SIGTERM stops them', async ({
    client,
    assert,
  }) => {
    const deliveries = Array.from({ length: 12 }, () => foreignAccountEvent())
    // Each event delivered twice, all at once (two app processes would do the same)
    await Promise.all(
      deliveries.flatMap(({ payload, signature }) => [
        post(client, payload, signature),
        post(client, payload, signature),
      ])
    )
    assert.lengthOf(await StripeEvent.all(), 12)

    const smtpPort = await freePort()
    const workers = await Promise.all([startWorkerProcess(smtpPort), startWorkerProcess(smtpPort)])
    try {
      let applied = 0
      for (let attempt = 0; attempt < 600 && applied < 12; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        const done = await StripeEvent.query().whereNotNull('processedAt')
        applied = done.length
      }
      assert.equal(applied, 12)

      let health = await client.get('/health')
      for (let attempt = 0; attempt < 100 && health.body().worker.instances < 2; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        health = await client.get('/health')
      }
      assert.isTrue(health.body().worker.ok)
      assert.equal(health.body().worker.instances, 2)
      assert.equal(health.body().queue.backlog, 0)
      assert.equal(health.body().healthy, true)
    } finally {
      for (const { child } of workers) {
        child.kill('SIGTERM')
      }
    }
    const codes = await Promise.all(workers.map(({ exited }) => exited))
    assert.deepEqual(codes, [0, 0])

    const events = await StripeEvent.all()
    assert.deepEqual(
      events.map((event) => event.attempts),
      Array(12).fill(1)
    )
    const completed = await db.rawQuery(
      `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'apply_stripe_event' AND state = 'completed'`
    )
    assert.equal(completed.rows[0].n, 12)
  }).timeout(120_000)
})
