import Stripe from 'stripe'
import logger from '@adonisjs/core/services/logger'
import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { ActionError } from '#exceptions/action_error'
import { requireStripeCustomer } from '#actions/billing/ensure_customer'
import { isPaymentMethodId, toSavedCard } from '#actions/billing/list_cards'
import { setDefaultCard } from '#actions/billing/set_default_card'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { describeStripeError, reportStripeError } from '#stripe/errors'

/**
 * Saves a card for off-session payments through a SetupIntent confirmed on
 * the server: Stripe checks the card, and a declined card is not saved. Only
 * a PaymentMethod id ever reaches us (Stripe.js, or a test PaymentMethod in
 * sandbox mode). `formToken` comes from the form and the key also names the
 * PaymentMethod, so a double submit is one SetupIntent while the same form
 * sent again with another card (after a decline, say) is a new attempt. The
 * first card becomes the default.
 */
export async function addCard(employer: User, paymentMethodId: string, formToken: string) {
  if (!isPaymentMethodId(paymentMethodId)) {
    throw new ActionError('This is not a card reference from Stripe.', 422)
  }

  const customerId = await requireStripeCustomer(employer)

  let setupIntent
  try {
    setupIntent = await stripe().setupIntents.create(
      {
        customer: customerId,
        payment_method: paymentMethodId,
        allowed_payment_method_types: ['card'],
        usage: 'off_session',
        confirm: true,
        expand: ['payment_method'],
      },
      { idempotencyKey: idempotencyKey('user', employer, 'add_card', formToken, paymentMethodId) }
    )
  } catch (error) {
    const described = reportStripeError(error, { userId: employer.id, operation: 'add_card' })
    if (described.isCardError || described.isTransient) {
      throw new ActionError(described.message, described.isTransient ? 503 : 402)
    }
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      // An unknown id, another customer's card, a detached card used again
      throw new ActionError(
        'This card could not be saved. Enter the card again or use another card.',
        422
      )
    }
    throw new ActionError(describeStripeError(error).message, 503)
  }

  if (setupIntent.status !== 'succeeded') {
    // 3-D Secure cannot be completed from the server; a browser with Stripe.js can
    await stripe()
      .setupIntents.cancel(setupIntent.id, undefined, {
        idempotencyKey: idempotencyKey('user', employer, 'cancel_setup', setupIntent.id),
      })
      .catch((error) => {
        reportStripeError(error, { userId: employer.id, operation: 'cancel_setup' })
      })
    throw new ActionError('This card needs authentication; use another card.', 402)
  }

  const paymentMethod = setupIntent.payment_method
  if (!paymentMethod || typeof paymentMethod === 'string') {
    throw new ActionError('The card could not be saved.', 402)
  }
  const profile = await UserProfile.findByOrFail('userId', employer.id)
  if (profile.defaultPaymentMethodId) {
    return toSavedCard(paymentMethod, profile.defaultPaymentMethodId)
  }
  try {
    await setDefaultCard(employer, paymentMethod.id)
  } catch (error) {
    // The card is saved either way; it can be made the default from the list
    if (!(error instanceof ActionError)) {
      throw error
    }
    logger.warn(
      { userId: employer.id, reason: error.message },
      'The first card was saved but could not be made the default'
    )
    return toSavedCard(paymentMethod, null)
  }
  return toSavedCard(paymentMethod, paymentMethod.id)
}
