import { defineJob } from '#jobs/job'

/**
 * A new user's Stripe identity (a Customer for an employer, a Connect account
 * for a contractor), queued at signup so signup never waits for Stripe.
 * Idempotent: the same idempotency key, and an existing id is kept.
 */
export default defineJob<{ userId: number }>({
  name: 'provision_stripe_identity',
  description: "Create a new user's Stripe Customer or Connect account",
  queue: { retryLimit: 10, retryDelay: 10, retryBackoff: true, retryDelayMax: 1800 },
  concurrency: 2,
  async handle({ userId }) {
    const { provisionStripeIdentity } = await import('#actions/users/provision_stripe')
    await provisionStripeIdentity(userId)
  },
})
