import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { stripe, stripeConfig } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { saveStripeIdOnce } from '#actions/users/save_stripe_id'

/**
 * The contractor's Connect account, created on first need: a Custom account
 * (the platform collects details, ToS acceptance and documents) that can take
 * card payments and receive transfers. Concurrent calls share one account
 * through the idempotency key.
 */
export async function ensureConnectAccount(user: User): Promise<string> {
  const profile = await UserProfile.findByOrFail('userId', user.id)
  if (profile.stripeId) {
    return profile.stripeId
  }
  const account = await stripe().accounts.create(
    {
      type: 'custom',
      country: stripeConfig().connectCountry,
      email: user.email,
      business_type: 'individual',
      capabilities: {
        card_payments: { requested: true },
        transfers: { requested: true },
      },
      metadata: { user_id: String(user.id) },
    },
    { idempotencyKey: idempotencyKey('user', user, 'create_account') }
  )
  return saveStripeIdOnce(profile, account.id)
}
