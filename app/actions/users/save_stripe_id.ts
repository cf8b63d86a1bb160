import UserProfile from '#models/user_profile'

/**
 * Fills an empty stripe_id, never overwrites one: two concurrent first calls
 * got the same object from the same idempotency key anyway.
 */
export async function saveStripeIdOnce(profile: UserProfile, stripeId: string) {
  await UserProfile.query().where('id', profile.id).whereNull('stripeId').update({ stripeId })
  await profile.refresh()
  return profile.stripeId!
}
