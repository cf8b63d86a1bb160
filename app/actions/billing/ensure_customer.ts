import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { saveStripeIdOnce } from '#actions/users/save_stripe_id'

/**
 * The employer's Stripe Customer, created on first need. The idempotency key
 * makes concurrent or repeated calls get the same customer, and only an empty
 * stripe_id is ever filled.
 */
export async function ensureStripeCustomer(user: User): Promise<string> {
  const profile = await UserProfile.findByOrFail('userId', user.id)
  if (profile.stripeId) {
    return profile.stripeId
  }
  const customer = await stripe().customers.create(
    { email: user.email, name: user.fullName, metadata: { user_id: String(user.id) } },
    { idempotencyKey: idempotencyKey('user', user, 'create_customer') }
  )
  return saveStripeIdOnce(profile, customer.id)
}
