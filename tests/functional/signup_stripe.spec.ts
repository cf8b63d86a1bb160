import { test } from '@japa/runner'
import User from '#models/user'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { profileOf, withStripeUnreachable } from '#tests/helpers/stripe'
import { ensureStripeCustomer } from '#actions/billing/ensure_customer'
import { runJobs, runJobsOnce } from '#tests/helpers/jobs'

const signup = {
  full_name: 'Erin Employer',
  email: 'erin@example.com',
  password: 'hire-people-2026',
  role: 'employer',
}

test.group('Signup and Stripe', (group) => {
  group.each.setup(() => truncateAllTables())

  test('an employer gets a Stripe customer from the job signup queues', async ({
    client,
    assert,
  }) => {
    await client.post('/signup').withCsrfToken().form(signup).redirects(0)
    const user0 = await User.findByOrFail('email', 'erin@example.com')
    const pending = await profileOf(user0)
    assert.isNull(pending.stripeId, 'signup itself never waits for Stripe')

    const result = await runJobs(['provision_stripe_identity'])
    assert.equal(result.ran, 1)
    const user = await User.findByOrFail('email', 'erin@example.com')
    const profile = await profileOf(user)
    assert.match(profile.stripeId!, /^cus_/)
    const customer = await stripe().customers.retrieve(profile.stripeId!)
    assert.isFalse(customer.deleted ?? false)
    if (!customer.deleted) {
      assert.equal(customer.email, 'erin@example.com')
      assert.equal(customer.metadata.user_id, String(user.id))
    }
  })

  test('signup works while Stripe is unreachable; the customer is created later, once', async ({
    client,
    assert,
  }) => {
    const response = await withStripeUnreachable(() =>
      client
        .post('/signup')
        .withCsrfToken()
        .form({ ...signup, email: 'offline@example.com' })
        .redirects(0)
    )

    response.assertStatus(302)
    response.assertHeader('location', '/')
    const user = await User.findByOrFail('email', 'offline@example.com')
    const before = await profileOf(user)
    assert.isNull(before.stripeId)

    // The queued job fails while Stripe is away and is retried; next time the
    // customer is needed, the same idempotency key: one customer however often
    const offline = await withStripeUnreachable(() => runJobsOnce(['provision_stripe_identity']))
    assert.isAtLeast(offline.failed, 1)
    const [first, second] = await Promise.all([
      ensureStripeCustomer(user),
      ensureStripeCustomer(user),
    ])
    await runJobs(['provision_stripe_identity'])
    assert.equal(first, second)
    const profile = await profileOf(user)
    assert.equal(profile.stripeId, first)
    const customers = await stripe().customers.list({ email: 'offline@example.com', limit: 100 })
    assert.deepEqual(
      customers.data.map((customer) => customer.id),
      [first]
    )
  })
})
