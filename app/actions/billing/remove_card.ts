import logger from '@adonisjs/core/services/logger'
import type User from '#models/user'
import { DomainError } from '#exceptions/domain_error'
import { findOwnCard, listCards, toSavedCard } from '#actions/billing/list_cards'
import { setDefaultCard } from '#actions/billing/set_default_card'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { reportStripeError } from '#stripe/errors'

/**
 * Detaches a saved card. Orders already authorized keep their hold (the
 * PaymentIntent holds the money, not the saved card). When the default card
 * goes, the newest remaining card becomes the default, so an employer with
 * cards always has one to pay with. Returns the removed card and the new
 * default, if one was chosen.
 */
export async function removeCard(employer: User, paymentMethodId: string) {
  const { profile, paymentMethod } = await findOwnCard(employer, paymentMethodId)
  const removed = toSavedCard(paymentMethod, profile.defaultPaymentMethodId)
  try {
    await stripe().paymentMethods.detach(paymentMethodId, undefined, {
      idempotencyKey: idempotencyKey('user', employer, 'remove_card', paymentMethodId),
    })
  } catch (error) {
    const described = reportStripeError(error, { userId: employer.id, operation: 'remove_card' })
    throw DomainError.unavailable(
      described.isTransient
        ? described.message
        : 'This card could not be removed. Please try again in a moment.'
    )
  }
  if (!removed.isDefault) {
    return { removed, newDefault: null }
  }
  profile.defaultPaymentMethodId = null
  await profile.save()

  // The card is gone either way; promoting another one is a convenience
  try {
    const [newest] = await listCards(profile.stripeId, null)
    if (newest) {
      return { removed, newDefault: await setDefaultCard(employer, newest.id) }
    }
  } catch (error) {
    logger.warn(
      { userId: employer.id, reason: (error as Error).message },
      'The default card was removed but no other card could be made the default'
    )
  }
  return { removed, newDefault: null }
}
