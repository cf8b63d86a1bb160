import { test } from '@japa/runner'
import { stripeOperation } from '#services/metrics'
import { storableJson } from '#services/storable_json'
import { jobRegistry, jobs } from '#jobs/registry'

test.group('Stripe operation labels', () => {
  test('ids are replaced, resource and action names kept', ({ assert }) => {
    assert.equal(
      stripeOperation('post', '/v1/payment_intents/pi_3Mx8Abc/capture'),
      'POST /v1/payment_intents/:id/capture'
    )
    assert.equal(
      stripeOperation('GET', '/v1/accounts/acct_1N2b/external_accounts/ba_9z?limit=3'),
      'GET /v1/accounts/:id/external_accounts/:id'
    )
    assert.equal(stripeOperation('GET', '/v1/customers/cus_missing'), 'GET /v1/customers/:id')
    assert.equal(
      stripeOperation('POST', '/v1/payment_methods/pm_card_visa/attach'),
      'POST /v1/payment_methods/:id/attach'
    )
    assert.equal(stripeOperation('GET', '/v1/balance'), 'GET /v1/balance')
    assert.equal(
      stripeOperation('POST', '/v1/test_helpers/sandbox/advance_clock'),
      'POST /v1/test_helpers/sandbox/advance_clock'
    )
  })
})

test.group('Storable JSON', () => {
  test('NUL characters and lone surrogates become U+FFFD, in keys and values', ({ assert }) => {
    const value = {
      name: 'Ada\u0000',
      nested: [{ 'k\u0000': 'broken \ud800 pair' }],
      fine: 'naïve ✓ 😀',
      count: 3,
      none: null,
    }
    assert.deepEqual(storableJson(value), {
      name: 'Ada\uFFFD',
      nested: [{ 'k\uFFFD': 'broken \uFFFD pair' }],
      fine: 'naïve ✓ 😀',
      count: 3,
      none: null,
    })
    assert.equal(value.name, 'Ada\u0000', 'the original is left as it was')
  })
})

test.group('Job registry', () => {
  test('every job is registered under its own name, with retries and a handler', ({ assert }) => {
    assert.sameMembers(
      Object.keys(jobRegistry),
      jobs.map((job) => job.name)
    )
    for (const job of jobs) {
      assert.isFunction(job.handle, job.name)
      assert.isAtLeast(job.queue.retryLimit ?? 0, 1, job.name)
    }
    assert.deepEqual(
      Object.fromEntries(jobs.filter((job) => job.schedule).map((job) => [job.name, job.schedule])),
      {
        settle_holds: '*/10 * * * *',
        reconcile: '*/15 * * * *',
        ensure_stripe_customers: '7 * * * *',
        settle_lines: '*/10 * * * *',
        send_pending_writes: '*/5 * * * *',
        approval_reminders: '*/30 * * * *',
        follow_bank_payments: '*/15 * * * *',
        remind_overdue_requests: '23 * * * *',
      }
    )
  })
})
