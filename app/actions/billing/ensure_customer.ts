import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { stripe } from '#stripe/client'
import { reportStripeError } from '#stripe/errors'
import { DomainError } from '#exceptions/domain_error'
import { idempotencyKey } from '#stripe/idempotency'
import { saveStripeIdOnce } from '#actions/users/save_stripe_id'

/**
 * The employer's Stripe Customer, created on first need. The idempotency key
 * makes concurrent or repeated calls get the same customer, and only an empty
 * stripe_id is ever filled.
 */
export async function ensureStripeCustomer(user: User, known?: UserProfile): Promise<string> {
  // A caller that already read the profile passes it: one round trip fewer
  const profile = known ?? (await UserProfile.findByOrFail('userId', user.id))
  if (profile.stripeId) {
    return profile.stripeId
  }
  const customer = await stripe().customers.create(
    { email: user.email, name: user.fullName, metadata: { user_id: String(user.id) } },
    { idempotencyKey: idempotencyKey('user', user, 'create_customer') }
  )
  return saveStripeIdOnce(profile, customer.id)
}

/**
 * The customer, for an action that cannot go on without one: a Stripe failure
 * is logged once and becomes a message for the person.
 */
export async function requireStripeCustomer(user: User, known?: UserProfile): Promise<string> {
  try {
    return await ensureStripeCustomer(user, known)
  } catch (error) {
    const described = reportStripeError(error, { userId: user.id, operation: 'ensure_customer' })
    throw DomainError.unavailable(described.message)
  }
}
