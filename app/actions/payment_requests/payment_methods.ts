import type Stripe from 'stripe'
import type User from '#models/user'
import UserProfile from '#models/user_profile'
import type { PaymentMethodType } from '#models/payment'
import { DomainError } from '#exceptions/domain_error'
import { stripe } from '#stripe/client'
import { isStripeError, reportStripeError } from '#stripe/errors'
import { findCustomerCard, isPaymentMethodId, toSavedCard } from '#actions/billing/list_cards'

/*
| What an employer can pay a request with: a card or a bank account saved on
| their Stripe customer (Stripe is the source of truth; a bank account is
| attached only once verified, so every saved one can be debited), or a new
| card entered now (Stripe.js, or a test card in sandbox mode).
*/

export interface PayableMethod {
  id: string
  type: PaymentMethodType
  /** "Visa", "STRIPE TEST BANK" */
  brand: string
  last4: string
  /** "Visa ···· 4242", "STRIPE TEST BANK ···· 6789" */
  label: string
  isDefault: boolean
}

function toPayableMethod(
  paymentMethod: Stripe.PaymentMethod,
  defaultId: string | null
): PayableMethod | null {
  if (paymentMethod.type === 'card') {
    const card = toSavedCard(paymentMethod, defaultId)
    return {
      id: card.id,
      type: 'card',
      brand: card.brandName,
      last4: card.last4,
      label: `${card.brandName} ···· ${card.last4}`,
      isDefault: card.isDefault,
    }
  }
  if (paymentMethod.type === 'us_bank_account' && paymentMethod.us_bank_account) {
    const bank = paymentMethod.us_bank_account
    const brand = bank.bank_name ?? 'Bank account'
    const last4 = bank.last4 ?? '????'
    return {
      id: paymentMethod.id,
      type: 'us_bank_account',
      brand,
      last4,
      label: `${brand} ···· ${last4}`,
      isDefault: paymentMethod.id === defaultId,
    }
  }
  return null
}

/** "Visa ending in 4242": how mail and receipts name a payment's method */
export function methodWords(brand: string | null, last4: string | null, type: PaymentMethodType) {
  if (!brand && !last4) {
    return null
  }
  const what = type === 'us_bank_account' ? `${brand ?? 'bank'} account` : (brand ?? 'card')
  return last4 ? `${what} ending in ${last4}` : what
}

/** The employer's saved cards and bank accounts, cards first (USD requests also take banks) */
export async function listPayableMethods(employer: User): Promise<PayableMethod[]> {
  const profile = await UserProfile.findByOrFail('userId', employer.id)
  if (!profile.stripeId) {
    return []
  }
  const [cards, banks] = await Promise.all(
    (['card', 'us_bank_account'] as const).map((type) =>
      stripe().paymentMethods.list({ customer: profile.stripeId!, type, limit: 100 })
    )
  )
  return [...cards.data, ...banks.data]
    .map((paymentMethod) => toPayableMethod(paymentMethod, profile.defaultPaymentMethodId))
    .filter((method): method is PayableMethod => method !== null)
}

/**
 * One of the employer's saved methods (checked with Stripe: another
 * customer's is refused as unknown), or their default card for "default".
 */
export async function savedMethodOf(
  employer: User,
  customerId: string,
  chosen: string
): Promise<PayableMethod> {
  const profile = await UserProfile.findByOrFail('userId', employer.id)
  const id = chosen === 'default' ? profile.defaultPaymentMethodId : chosen
  if (!id) {
    throw DomainError.invalid(`${employer.email} has no default card.`)
  }
  const paymentMethod = await findCustomerCard(customerId, id)
  const method = paymentMethod
    ? toPayableMethod(paymentMethod, profile.defaultPaymentMethodId)
    : null
  if (!method) {
    throw DomainError.invalid('Choose one of your saved cards or bank accounts.')
  }
  return method
}

/** A card entered now: a PaymentMethod id from Stripe.js (or a test card), not attached to anyone else */
export async function newCardOf(
  customerId: string,
  paymentMethodId: string
): Promise<PayableMethod> {
  if (!isPaymentMethodId(paymentMethodId)) {
    throw DomainError.invalid('This is not a card reference from Stripe.')
  }
  let paymentMethod: Stripe.PaymentMethod
  try {
    paymentMethod = await stripe().paymentMethods.retrieve(paymentMethodId)
  } catch (error) {
    if (isStripeError(error) && error.code === 'resource_missing') {
      throw DomainError.invalid('This card could not be found. Enter it again.')
    }
    const described = reportStripeError(error, { operation: 'new_card' })
    throw DomainError.unavailable(
      described.isTransient
        ? described.message
        : 'The card could not be checked right now. Please try again in a moment.'
    )
  }
  const owner =
    typeof paymentMethod.customer === 'string'
      ? paymentMethod.customer
      : (paymentMethod.customer?.id ?? null)
  if (owner && owner !== customerId) {
    throw DomainError.invalid('This card could not be used. Enter it again.')
  }
  if (paymentMethod.type !== 'card') {
    throw DomainError.invalid(
      'Only a card can be entered here; a bank account is added and verified first, then chosen from your saved methods.'
    )
  }
  return toPayableMethod(paymentMethod, null)!
}
