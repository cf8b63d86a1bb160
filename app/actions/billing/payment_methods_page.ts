import { randomUUID } from 'node:crypto'
import type User from '#models/user'
import type BankAccount from '#models/bank_account'
import UserProfile from '#models/user_profile'
import { ensureStripeCustomer } from '#actions/billing/ensure_customer'
import { listCards, type SavedCard } from '#actions/billing/list_cards'
import { listBankAccounts } from '#actions/bank_accounts/bank_account_records'
import { settlePendingBankAccounts } from '#actions/bank_accounts/manage_bank_account'
import { MANDATE_TEXT } from '#actions/bank_accounts/mandate'
import { stripeConfig } from '#stripe/client'
import { isStripeError, reportStripeError } from '#stripe/errors'
import type { Tone } from '#domain/order_summary'

/**
 * Stripe's test PaymentMethods offered on the page in sandbox mode (no card
 * number is ever typed into Crewpay). Any other test PaymentMethod id is
 * accepted by the endpoint too.
 */
export const TEST_CARD_CHOICES = [
  { id: 'pm_card_visa', label: 'Visa ···· 4242', outcome: 'succeeds' },
  { id: 'pm_card_mastercard', label: 'Mastercard ···· 4444', outcome: 'succeeds' },
  {
    id: 'pm_card_bypassPending',
    label: 'Visa ···· 0077',
    outcome: 'succeeds; the money is available at once',
  },
  { id: 'pm_card_visa_chargeDeclined', label: 'Visa ···· 0002', outcome: 'declined' },
  {
    id: 'pm_card_visa_chargeDeclinedInsufficientFunds',
    label: 'Visa ···· 9995',
    outcome: 'declined: insufficient funds',
  },
  {
    id: 'pm_card_chargeDeclinedExpiredCard',
    label: 'Visa ···· 0069',
    outcome: 'declined: expired card',
  },
  {
    id: 'pm_card_chargeCustomerFail',
    label: 'Visa ···· 0341',
    outcome: 'is saved, but every payment with it is declined',
  },
  {
    id: 'pm_card_authenticationRequiredOnSetup',
    label: 'Visa ···· 3155',
    outcome: 'asks for 3-D Secure when saved and when you order',
  },
  {
    id: 'pm_card_authenticationRequired',
    label: 'Visa ···· 3184',
    outcome: 'asks for 3-D Secure on every payment',
  },
]

/** Stripe's test bank accounts (routing number 110000000) and what a debit from each does */
export const TEST_BANK_ACCOUNTS = [
  { number: '000123456789', outcome: 'the payment succeeds' },
  { number: '000111111113', outcome: 'fails: account closed' },
  { number: '000111111116', outcome: 'fails: no account found' },
  { number: '000222222227', outcome: 'fails: insufficient funds' },
  { number: '000333333335', outcome: 'fails: debit not authorized' },
  { number: '000666666661', outcome: 'the deposits never arrive' },
]

export const TEST_ROUTING_NUMBER = '110000000'

export interface BankAccountView {
  id: number
  label: string
  status: BankAccount['status']
  statusText: string
  tone: Tone
  isDefault: boolean
  failureMessage: string | null
  /** The deposits' arrival, for an account waiting for its verification */
  arriveAt: BankAccount['microdepositsArriveAt']
  descriptorCode: boolean
}

function bankAccountView(row: BankAccount, defaultId: string | null): BankAccountView {
  const words: Record<BankAccount['status'], [string, Tone]> = {
    pending: ['Being saved', 'waiting'],
    requires_verification: ['Confirm the deposits', 'your_turn'],
    verified: ['Verified', 'done'],
    failed: ['Not verified', 'problem'],
    removed: ['Removed', 'done'],
  }
  const [statusText, tone] = words[row.status]
  return {
    id: row.id,
    label: row.label,
    status: row.status,
    statusText,
    tone,
    isDefault: row.isVerified && row.stripePaymentMethodId === defaultId,
    failureMessage: row.failureMessage,
    arriveAt: row.microdepositsArriveAt,
    descriptorCode: row.microdepositType === 'descriptor_code',
  }
}

/**
 * Everything the payment methods page (GET /cards, GET /bank-accounts) shows:
 * saved cards (from Stripe), bank accounts (ours, their answers settled
 * first), and the forms to add either.
 */
export async function loadPaymentMethodsPage(employer: User) {
  let cards: SavedCard[] = []
  let problem: string | null = null
  let profile = await UserProfile.findByOrFail('userId', employer.id)
  try {
    const customerId = await ensureStripeCustomer(employer)
    profile = await UserProfile.findByOrFail('userId', employer.id)
    cards = await listCards(customerId, profile.defaultPaymentMethodId)
    await settlePendingBankAccounts(employer)
  } catch (error) {
    if (!isStripeError(error)) {
      throw error
    }
    reportStripeError(error, { userId: employer.id, operation: 'list_cards' })
    problem =
      'Your saved cards cannot be shown right now: our payment provider did not answer. ' +
      'Please try again in a moment.'
  }
  const bankAccounts = await listBankAccounts(employer.id)

  const config = stripeConfig()
  const usesStripeJs = config.mode === 'stripe'
  return {
    cards,
    problem,
    bankAccounts: bankAccounts.map((row) => bankAccountView(row, profile.defaultPaymentMethodId)),
    formToken: randomUUID(),
    bankFormToken: randomUUID(),
    usesElements: usesStripeJs,
    publishableKey: usesStripeJs ? config.publishableKey : null,
    testCards: usesStripeJs ? [] : TEST_CARD_CHOICES,
    testBankAccounts: usesStripeJs ? [] : TEST_BANK_ACCOUNTS,
    testRoutingNumber: TEST_ROUTING_NUMBER,
    mandateText: MANDATE_TEXT,
    employerName: employer.fullName,
  }
}
