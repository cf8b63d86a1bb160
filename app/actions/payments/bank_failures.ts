import type Stripe from 'stripe'

/**
 * Why a bank debit failed, in plain words, from Stripe's failure code or the
 * ACH return code (R01, R02, …) it carries.
 */
const BANK_FAILURES: Record<string, string> = {
  insufficient_funds: 'The bank account did not have enough money for this payment.',
  R01: 'The bank account did not have enough money for this payment.',
  account_closed: 'The bank account is closed.',
  bank_account_closed: 'The bank account is closed.',
  R02: 'The bank account is closed.',
  no_account: 'The bank could not find this account.',
  bank_account_unusable: 'The bank could not find this account.',
  R03: 'The bank could not find this account.',
  R04: 'The bank could not find this account.',
  debit_not_authorized: 'The account holder told their bank they did not authorize this debit.',
  R10: 'The account holder told their bank they did not authorize this debit.',
  R29: 'The account holder told their bank they did not authorize this debit.',
  invalid_currency: 'This bank account cannot be debited in this currency.',
  R07: 'The account holder revoked the authorization for this debit.',
  R08: 'The account holder stopped this payment.',
  R16: 'The bank account is frozen.',
}

export function bankFailureMessage(error: Stripe.PaymentIntent.LastPaymentError) {
  const codes = [error.decline_code, error.code, returnCodeIn(error.message)]
  for (const code of codes) {
    if (code && BANK_FAILURES[code]) {
      return BANK_FAILURES[code]
    }
  }
  return 'The bank refused this debit.'
}

function returnCodeIn(text: string | undefined) {
  return text?.match(/\bR\d{2}\b/)?.[0] ?? null
}
