import logger from '@adonisjs/core/services/logger'
import User from '#models/user'
import { ensureStripeCustomer } from '#actions/billing/ensure_customer'
import { ensureConnectAccount } from '#actions/onboarding/ensure_account'
import { reportStripeError } from '#stripe/errors'

/**
 * Gives a user their Stripe identity: a Customer for an employer, a Connect
 * account for a contractor. Run by the provision_stripe_identity job that
 * signup queues (signup never waits for Stripe); a failure is logged and
 * thrown, so the job retries with the same idempotency key. Whatever still
 * needs the identity (cards page, onboarding, an order) makes the same call.
 */
export async function provisionStripeIdentity(userId: number) {
  const user = await User.find(userId)
  if (!user) {
    return
  }
  try {
    if (user.role === 'employer') {
      await ensureStripeCustomer(user)
    } else if (user.role === 'contractor') {
      await ensureConnectAccount(user)
    }
  } catch (error) {
    reportStripeError(error, { userId: user.id, operation: 'provision_stripe_identity' })
    throw error
  }
}

/**
 * Employers without a Stripe Customer (their signup's job gave up, or they
 * predate it) get one: the hourly ensure_stripe_customers job.
 */
export async function ensureMissingStripeCustomers(limit = 200) {
  const employers = await User.query()
    .where('role', 'employer')
    .whereHas('profile', (profile) => profile.whereNull('stripeId'))
    .orderBy('id')
    .limit(limit)
  let created = 0
  let failed = 0
  for (const employer of employers) {
    try {
      await ensureStripeCustomer(employer)
      created += 1
    } catch (error) {
      failed += 1
      reportStripeError(error, { userId: employer.id, operation: 'ensure_customer' })
    }
  }
  if (failed > 0) {
    logger.warn(`${failed} of ${employers.length} employer(s) still have no Stripe customer`)
  }
  return { checked: employers.length, created, failed }
}
