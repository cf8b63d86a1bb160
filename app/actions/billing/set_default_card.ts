import type User from '#models/user'
import { DomainError } from '#exceptions/domain_error'
import { findOwnCard, toSavedCard } from '#actions/billing/list_cards'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { reportStripeError } from '#stripe/errors'

/**
 * Makes one of the employer's cards the default, on Stripe (the customer's
 * invoice_settings) and locally. The key includes the profile's version, so
 * switching back and forth is several requests while a double click is one.
 */
export async function setDefaultCard(employer: User, paymentMethodId: string) {
  const { profile, paymentMethod } = await findOwnCard(employer, paymentMethodId)
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
    throw DomainError.unavailable(described.message)
  }
  profile.defaultPaymentMethodId = paymentMethodId
  await profile.save()
  return toSavedCard(paymentMethod, paymentMethodId)
}
