import type User from '#models/user'
import type Payment from '#models/payment'
import type { PaymentMethodType } from '#models/payment'
import BankAccount from '#models/bank_account'
import UserProfile from '#models/user_profile'
import { DomainError } from '#exceptions/domain_error'
import { requireStripeCustomer } from '#actions/billing/ensure_customer'
import { findCustomerCard, listCards, type SavedCard } from '#actions/billing/list_cards'
import { listBankAccounts } from '#actions/bank_accounts/bank_account_records'
import { isStripeError, reportStripeError } from '#stripe/errors'

/*
| What an employer can pay with: saved cards (Stripe holds them) and verified
| bank accounts (ACH Direct Debit, US dollars only). One default among them
| (the profile's default payment method, as on Stripe's customer).
*/

/** Stripe's ACH Direct Debit debits US bank accounts in US dollars only */
export const BANK_CURRENCY = 'usd'

export interface PaymentChoice {
  /** The PaymentMethod id the order forms send */
  id: string
  kind: 'card' | 'bank'
  /** "Visa ···· 4242", "STRIPE TEST BANK ···· 6789 (bank debit)" */
  label: string
  isDefault: boolean
}

export interface PaymentChoices {
  choices: PaymentChoice[]
  /** The one the form selects: the default, else the newest */
  selectedId: string | null
  /** The saved cards could not be read from Stripe */
  problem: string | null
  /** Verified bank accounts exist but cannot pay in this currency */
  bankNote: string | null
}

function cardChoice(card: SavedCard): PaymentChoice {
  return {
    id: card.id,
    kind: 'card',
    label: `${card.brandName} ···· ${card.last4}`,
    isDefault: card.isDefault,
  }
}

function bankChoice(bankAccount: BankAccount, defaultId: string | null): PaymentChoice {
  return {
    id: bankAccount.stripePaymentMethodId!,
    kind: 'bank',
    label: `${bankAccount.label} (bank debit)`,
    isDefault: bankAccount.stripePaymentMethodId === defaultId,
  }
}

/**
 * The cards and verified bank accounts an order in `currency` can be paid
 * with (bank accounts only in US dollars). A Stripe outage is a message, not
 * an error: the verified bank accounts are known locally.
 */
export async function paymentChoicesFor(
  employer: User,
  currency: string | null
): Promise<PaymentChoices> {
  const profile = await UserProfile.findByOrFail('userId', employer.id)
  let cards: SavedCard[] = []
  let problem: string | null = null
  if (profile.stripeId) {
    try {
      cards = await listCards(profile.stripeId, profile.defaultPaymentMethodId)
    } catch (error) {
      if (!isStripeError(error)) {
        throw error
      }
      reportStripeError(error, { userId: employer.id, operation: 'list_cards' })
      problem =
        'Your saved cards cannot be shown right now: our payment provider did not answer. ' +
        'Please try again in a moment.'
    }
  }
  const saved = await listBankAccounts(employer.id)
  const banks = saved.filter(
    (bankAccount) => bankAccount.isVerified && bankAccount.stripePaymentMethodId
  )
  const banksAllowed = currency === null || currency === BANK_CURRENCY
  const choices = [
    ...cards.map(cardChoice),
    ...(banksAllowed
      ? banks.map((bankAccount) => bankChoice(bankAccount, profile.defaultPaymentMethodId))
      : []),
  ]
  return {
    choices,
    selectedId: (choices.find((choice) => choice.isDefault) ?? choices[0])?.id ?? null,
    problem,
    bankNote:
      !banksAllowed && banks.length > 0
        ? `Bank debits are in US dollars only: this is priced in ${currency!.toUpperCase()}, so pay it by card.`
        : null,
  }
}

export interface ChosenMethod {
  id: string
  methodType: PaymentMethodType
  /** The employer's Stripe Customer (read on the way: the payment needs it) */
  customerId: string
}

/**
 * The saved payment method to charge: the one chosen (a verified bank account
 * of the employer, or one of their cards: checked with Stripe), or their
 * default (known locally, so an order can be written even when Stripe does
 * not answer, and completed by a retry).
 */
export async function choosePaymentMethod(
  employer: User,
  chosen: string | null | undefined
): Promise<ChosenMethod> {
  const profile = await UserProfile.findByOrFail('userId', employer.id)
  const customerId = await requireStripeCustomer(employer, profile)
  const wanted = chosen || profile.defaultPaymentMethodId
  if (!wanted) {
    throw DomainError.invalid('Add a card or a bank account before placing an order.')
  }
  const bankAccount = await BankAccount.query()
    .where('employerId', employer.id)
    .where('stripePaymentMethodId', wanted)
    .whereNot('status', 'removed')
    .first()
  if (bankAccount) {
    if (!bankAccount.isVerified) {
      throw DomainError.invalid(
        `${bankAccount.label} is not verified yet: confirm its deposits on the Payment methods page first.`
      )
    }
    return { id: wanted, methodType: 'us_bank_account', customerId }
  }
  if (!chosen) {
    return { id: wanted, methodType: 'card', customerId }
  }
  const paymentMethod = await findCustomerCard(customerId, chosen)
  if (!paymentMethod || paymentMethod.type !== 'card') {
    throw DomainError.invalid('Choose one of your saved cards or verified bank accounts.')
  }
  return { id: chosen, methodType: 'card', customerId }
}

/** Refused before anything is written: a bank debit in another currency than US dollars */
export function assertMethodTakesCurrency(method: ChosenMethod, currency: string) {
  if (method.methodType === 'us_bank_account' && currency !== BANK_CURRENCY) {
    throw DomainError.invalid(
      `Bank debits are in US dollars only, and this order is in ${currency.toUpperCase()}. ` +
        'Pay it by card instead.'
    )
  }
}

export { paymentMethodLabel } from '#actions/billing/payment_method_label'

/** The bank account a bank payment debits (its mandate goes with the debit) */
export async function bankAccountPaying(payment: Payment) {
  return payment.paymentMethodId
    ? BankAccount.query()
        .where('employerId', payment.employerId)
        .where('stripePaymentMethodId', payment.paymentMethodId)
        .first()
    : null
}
