import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { ActionError } from '#exceptions/action_error'
import { findCustomerCard } from '#actions/billing/list_cards'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { describeStripeError } from '#stripe/errors'

/**
 * Detaches a saved card. Orders already authorized keep their hold (the
 * PaymentIntent holds the money, not the saved card).
 */
export async function removeCard(employer: User, paymentMethodId: string) {
  const profile = await UserProfile.findByOrFail('userId', employer.id)
  if (!profile.stripeId || !(await findCustomerCard(profile.stripeId, paymentMethodId))) {
    throw new ActionError('This card is not one of your saved cards.', 404)
  }
  try {
    await stripe().paymentMethods.detach(paymentMethodId, undefined, {
      idempotencyKey: idempotencyKey('user', employer, 'remove_card', paymentMethodId),
    })
  } catch (error) {
    throw new ActionError(describeStripeError(error).message, 503)
  }
  if (profile.defaultPaymentMethodId === paymentMethodId) {
    profile.defaultPaymentMethodId = null
    await profile.save()
  }
}
