import type Stripe from 'stripe'
import { DomainError } from '#exceptions/domain_error'
import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { stripe } from '#stripe/client'
import { isStripeError, reportStripeError } from '#stripe/errors'

/** What a PaymentMethod id looks like; anything else is never sent to Stripe */
export const PAYMENT_METHOD_ID = /^pm_[A-Za-z0-9_]+$/
/** Stripe's ids are far shorter; the column that stores them is 64 */
export const PAYMENT_METHOD_ID_MAX_LENGTH = 64

export function isPaymentMethodId(value: string) {
  return value.length <= PAYMENT_METHOD_ID_MAX_LENGTH && PAYMENT_METHOD_ID.test(value)
}

const BRAND_NAMES: Record<string, string> = {
  amex: 'American Express',
  cartes_bancaires: 'Cartes Bancaires',
  diners: 'Diners Club',
  discover: 'Discover',
  eftpos_au: 'eftpos',
  jcb: 'JCB',
  link: 'Link',
  mastercard: 'Mastercard',
  unionpay: 'UnionPay',
  visa: 'Visa',
}

export interface SavedCard {
  id: string
  brand: string
  /** "Visa", "American Express" */
  brandName: string
  last4: string
  expMonth: number
  expYear: number
  isDefault: boolean
}

export function toSavedCard(
  paymentMethod: Stripe.PaymentMethod,
  defaultId: string | null
): SavedCard {
  const brand = paymentMethod.card?.brand ?? 'card'
  return {
    id: paymentMethod.id,
    brand,
    brandName: BRAND_NAMES[brand] ?? 'Card',
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
 * ids and for other customers' cards. When Stripe cannot answer, an
 * DomainError (503) with a message, never a bare Stripe error.
 */
export async function findCustomerCard(customerId: string, paymentMethodId: string) {
  if (!isPaymentMethodId(paymentMethodId)) {
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
    const described = reportStripeError(error, { operation: 'find_customer_card' })
    throw DomainError.unavailable(
      described.isTransient
        ? described.message
        : 'Your saved cards could not be checked right now. Please try again in a moment.'
    )
  }
}

/** One of the employer's own saved cards, with their profile; 404 for anything else */
export async function findOwnCard(employer: User, paymentMethodId: string) {
  const profile = await UserProfile.findByOrFail('userId', employer.id)
  const paymentMethod = profile.stripeId
    ? await findCustomerCard(profile.stripeId, paymentMethodId)
    : null
  // A bank account is managed from /bank-accounts
  if (!profile.stripeId || !paymentMethod || paymentMethod.type !== 'card') {
    throw DomainError.notFound('This card is not one of your saved cards.')
  }
  return { profile: profile as UserProfile & { stripeId: string }, paymentMethod }
}
