import type Stripe from 'stripe'
import UserProfile from '#models/user_profile'
import { stripe } from '#stripe/client'
import { syncAccountSnapshot } from '#actions/onboarding/sync_account'

/**
 * account.updated: the contractor's verification snapshot follows Stripe.
 * Events can arrive out of order, so the account is read again rather than
 * trusting an older event's snapshot over a newer one.
 */
export default async function onAccountUpdated(event: Stripe.Event) {
  const { id } = event.data.object as Stripe.Account
  if (!(await UserProfile.findBy('stripeId', id))) {
    return
  }
  await syncAccountSnapshot(await stripe().accounts.retrieve(id))
}
