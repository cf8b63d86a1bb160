import { test } from '@japa/runner'
import { Writable } from 'node:stream'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import { Logger } from '@adonisjs/core/logger'
import type { ApiClient } from '@japa/api-client'
import type { MetricsConfig } from '#config/metrics'
import { stripe } from '#stripe/client'
import { currentLogContext, runWithLogContext } from '#services/log_context'
import { truncateAllTables } from '#tests/helpers/database'
import { runJobs } from '#tests/helpers/jobs'
import { createUser } from '#tests/helpers/users'
import { signedWebhook, withStripeUnreachable } from '#tests/helpers/stripe'

/** The value of one sample of the Prometheus text (0 when absent) */
function sample(text: string, name: string, labels: Record<string, string> = {}) {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) {
      continue
    }
    const present = (match[2] ?? '').split(/,(?=[a-z_]+=")/)
    if (wanted.every((label) => present.includes(label))) {
      return Number(match[3])
    }
  }
  return 0
}

async function metrics(client: ApiClient) {
  const response = await client.get('/metrics')
  response.assertStatus(200)
  return response.text()
}

test.group('Metrics', (group) => {
  group.each.setup(() => truncateAllTables())

  test('/metrics counts a Stripe call and a webhook event from receipt to application', async ({
    client,
    assert,
  }) => {
    const before = await metrics(client)
    const customers = { operation: 'POST /v1/customers', outcome: 'ok' }

    await stripe().customers.create({ email: 'metrics@example.com' })
    const id = 'acct_metrics1'
    const { payload, signature } = signedWebhook({
      type: 'account.updated',
      account: id,
      created: Math.floor(Date.now() / 1000) - 5,
      data: { object: { id } },
    })
    await client
      .post('/stripe/webhook')
      .header('stripe-signature', signature)
      .header('content-type', 'application/json')
      .json(JSON.parse(payload))
    const received = await metrics(client)
    await runJobs(['apply_stripe_event'])
    const after = await metrics(client)

    const name = 'crewpay_stripe_request_duration_seconds_count'
    assert.equal(sample(after, name, customers) - sample(before, name, customers), 1)
    const type = { type: 'account.updated' }
    assert.equal(
      sample(after, 'crewpay_webhook_events_received_total', { ...type, duplicate: 'false' }) -
        sample(before, 'crewpay_webhook_events_received_total', { ...type, duplicate: 'false' }),
      1
    )
    assert.equal(
      sample(after, 'crewpay_webhook_events_applied_total', type) -
        sample(before, 'crewpay_webhook_events_applied_total', type),
      1
    )
    // Lag from Stripe's `created` (5 s ago) to applied
    assert.equal(
      sample(after, 'crewpay_webhook_lag_seconds_count', type) -
        sample(before, 'crewpay_webhook_lag_seconds_count', type),
      1
    )
    assert.isAtLeast(
      sample(after, 'crewpay_webhook_lag_seconds_sum', type) -
        sample(before, 'crewpay_webhook_lag_seconds_sum', type),
      5
    )
    // The queue, read from the database: one job waiting, then none
    const queued = { queue: 'apply_stripe_event', state: 'queued' }
    assert.equal(sample(received, 'crewpay_jobs', queued), 1)
    assert.equal(sample(after, 'crewpay_jobs', queued), 0)
    assert.equal(sample(received, 'crewpay_webhook_events_unapplied', { state: 'pending' }), 1)
    assert.equal(sample(after, 'crewpay_webhook_events_unapplied', { state: 'pending' }), 0)
    // HTTP requests by route pattern; the database pool
    assert.isAbove(
      sample(after, 'crewpay_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/stripe/webhook',
        status: '200',
      }),
      0
    )
    assert.include(after, 'crewpay_db_pool_connections{state="used"}')
  })

  test('a failed Stripe call is counted by its error code', async ({ client, assert }) => {
    const before = await metrics(client)

    await assert.rejects(() => stripe().customers.retrieve('cus_missing'))
    await withStripeUnreachable(() =>
      assert.rejects(() => stripe().balance.retrieve({}, { maxNetworkRetries: 0 }))
    )
    const after = await metrics(client)

    const missing = { operation: 'GET /v1/customers/:id', code: 'resource_missing' }
    assert.equal(
      sample(after, 'crewpay_stripe_errors_total', missing) -
        sample(before, 'crewpay_stripe_errors_total', missing),
      1
    )
    const unreachable = { operation: 'GET /v1/balance', code: 'ECONNREFUSED' }
    assert.equal(
      sample(after, 'crewpay_stripe_errors_total', unreachable) -
        sample(before, 'crewpay_stripe_errors_total', unreachable),
      1
    )
    const outcome = { operation: 'GET /v1/balance', outcome: 'connection_error' }
    assert.equal(
      sample(after, 'crewpay_stripe_request_duration_seconds_count', outcome) -
        sample(before, 'crewpay_stripe_request_duration_seconds_count', outcome),
      1
    )
  })

  test('in production /metrics needs the bearer token', async ({ client, assert }) => {
    const original = app.config.get<MetricsConfig>('metrics')
    app.config.set('metrics', { protect: true, token: 'metrics-token-123' })
    try {
      const anonymous = await client.get('/metrics')
      anonymous.assertStatus(401)
      assert.notInclude(anonymous.text(), 'crewpay_')
      const wrong = await client.get('/metrics').header('authorization', 'Bearer wrong')
      wrong.assertStatus(401)
      const allowed = await client
        .get('/metrics')
        .header('authorization', 'Bearer metrics-token-123')
      allowed.assertStatus(200)
      assert.include(allowed.text(), 'crewpay_http_request_duration_seconds')

      // Without a token configured, only this machine may read them (the test client is local)
      app.config.set('metrics', { protect: true, token: null })
      const local = await client.get('/metrics')
      local.assertStatus(200)
    } finally {
      app.config.set('metrics', original)
    }
  })
})

test.group('Metrics of a worker process', () => {
  test('jobs:work --metrics-port serves the same metrics, with the same access rule', async ({
    assert,
  }) => {
    const { startMetricsServer } = await import('#services/metrics_server')
    const server = await startMetricsServer(0, '127.0.0.1')
    const original = app.config.get<MetricsConfig>('metrics')
    try {
      const url = `http://127.0.0.1:${server.port}/metrics`
      const open = await fetch(url)
      assert.equal(open.status, 200)
      assert.include(await open.text(), 'crewpay_job_duration_seconds')
      const elsewhere = await fetch(`http://127.0.0.1:${server.port}/other`)
      assert.equal(elsewhere.status, 404)

      app.config.set('metrics', { protect: true, token: 'worker-token-1' })
      const refused = await fetch(url)
      assert.equal(refused.status, 401)
      const allowed = await fetch(url, { headers: { authorization: 'Bearer worker-token-1' } })
      assert.equal(allowed.status, 200)
    } finally {
      app.config.set('metrics', original)
      await server.close()
    }
  })
})

test.group('Log lines', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a line written during a request or a job carries its ids', async ({ assert }) => {
    const lines: Record<string, unknown>[] = []
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()))
        done()
      },
    })
    const config = app.config.get<any>('logger.loggers.app')
    const captured = new Logger({ ...config, level: 'info', destination })

    runWithLogContext({ requestId: 'req-1', userId: 7 }, () => captured.info('in a request'))
    runWithLogContext({ jobId: 'job-1', job: 'send_notification' }, () =>
      captured.warn({ userId: 9 }, 'in a job')
    )
    captured.info('outside')

    assert.deepInclude(lines[0], { requestId: 'req-1', userId: 7, msg: 'in a request' })
    assert.deepInclude(lines[1], { jobId: 'job-1', job: 'send_notification', userId: 9 })
    assert.notProperty(lines[2], 'requestId')
    assert.notProperty(lines[2], 'jobId')
  })

  test('a Stripe call logs its request id and idempotency key, in its job or request', async ({
    client,
    assert,
  }) => {
    const calls: { fields: any; context: unknown }[] = []
    const capture = (fields: any) => {
      if (fields?.stripe) {
        calls.push({ fields: fields.stripe, context: { ...currentLogContext() } })
      }
    }
    const spied = logger as unknown as Record<string, unknown>
    spied.info = capture
    spied.warn = capture
    const employer = await createUser({ role: 'employer' })
    try {
      await client.post('/signup').withCsrfToken().form({
        full_name: 'Erin Employer',
        email: 'erin@example.com',
        password: 'hire-people-2026',
        role: 'employer',
      })
      await runJobs(['provision_stripe_identity'])
      // A request that needs Stripe: the cards page creates the missing customer
      const page = await client.get('/cards').loginAs(employer)
      page.assertStatus(200)
    } finally {
      delete spied.info
      delete spied.warn
    }

    const created = calls.filter((call) => call.fields.operation === 'POST /v1/customers')
    assert.lengthOf(created, 2)
    const [inJob, inRequest] = created
    assert.match(inJob.fields.requestId, /^req_/)
    assert.match(inJob.fields.idempotencyKey, /^user:\d+:[0-9a-f-]{36}:create_customer$/)
    assert.include(inJob.context as object, { job: 'provision_stripe_identity' })
    assert.property(inJob.context, 'jobId')
    assert.match(inRequest.fields.requestId, /^req_/)
    assert.property(inRequest.context, 'requestId')
    assert.propertyVal(inRequest.context, 'userId', employer.id)
  })
})
