import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { ActionError } from '#exceptions/action_error'
import { findCustomerCard, toSavedCard } from '#actions/billing/list_cards'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { reportStripeError } from '#stripe/errors'

/**
 * Makes one of the employer's cards the default, on Stripe (the customer's
 * invoice_settings) and locally. The key includes the profile's version, so
 * switching back and forth is several requests while a double click is one.
 */
export async function setDefaultCard(employer: User, paymentMethodId: string) {
  const profile = await UserProfile.findByOrFail('userId', employer.id)
  const paymentMethod = profile.stripeId
    ? await findCustomerCard(profile.stripeId, paymentMethodId)
    : null
  if (!profile.stripeId || !paymentMethod) {
    throw new ActionError('This card is not one of your saved cards.', 404)
  }
  try {
    await stripe().customers.update(
      profile.stripeId,
      { invoice_settings: { default_payment_method: paymentMethodId } },
      {
        idempotencyKey: idempotencyKey(
          'user',
          employer,
          'default_card',
          paymentMethodId,
          profile.updatedAt.toMillis()
        ),
      }
    )
  } catch (error) {
    const described = reportStripeError(error, { userId: employer.id, operation: 'default_card' })
    throw new ActionError(described.message, 503)
  }
  profile.defaultPaymentMethodId = paymentMethodId
  await profile.save()
  return toSavedCard(paymentMethod, paymentMethodId)
}
