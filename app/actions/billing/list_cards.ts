import type Stripe from 'stripe'
import { stripe } from '#stripe/client'
import { isStripeError } from '#stripe/errors'

export interface SavedCard {
  id: string
  brand: string
  last4: string
  expMonth: number
  expYear: number
  isDefault: boolean
}

export function toSavedCard(
  paymentMethod: Stripe.PaymentMethod,
  defaultId: string | null
): SavedCard {
  return {
    id: paymentMethod.id,
    brand: paymentMethod.card?.brand ?? 'card',
    last4: paymentMethod.card?.last4 ?? '????',
    expMonth: paymentMethod.card?.exp_month ?? 0,
    expYear: paymentMethod.card?.exp_year ?? 0,
    isDefault: paymentMethod.id === defaultId,
  }
}

/** The cards saved on a customer, newest first (Stripe is the source of truth) */
export async function listCards(customerId: string, defaultId: string | null) {
  const cards = await stripe().paymentMethods.list({
    customer: customerId,
    type: 'card',
    limit: 100,
  })
  return cards.data.map((paymentMethod) => toSavedCard(paymentMethod, defaultId))
}

/**
 * The PaymentMethod when it is one of this customer's cards; null for unknown
 * ids and for other customers' cards.
 */
export async function findCustomerCard(customerId: string, paymentMethodId: string) {
  if (!/^pm_[A-Za-z0-9_]+$/.test(paymentMethodId)) {
    return null
  }
  try {
    const paymentMethod = await stripe().paymentMethods.retrieve(paymentMethodId)
    const owner =
      typeof paymentMethod.customer === 'string'
        ? paymentMethod.customer
        : paymentMethod.customer?.id
    return owner === customerId ? paymentMethod : null
  } catch (error) {
    if (isStripeError(error) && error.code === 'resource_missing') {
      return null
    }
    throw error
  }
}
