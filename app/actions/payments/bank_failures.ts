import type Stripe from 'stripe'

/*
| Why a bank debit failed, in plain words, from Stripe's failure code
| (`last_payment_error.code`, the charge's `failure_code`) or the ACH return
| code it carries (`network_decline_code`: R01, R02, …). The codes Stripe's
| test accounts produce (000111111113 account_closed/R02, 000111111116
| no_account/R03, 000222222227 insufficient_funds/R01, 000333333335
| debit_not_authorized/R10, 000444444440 invalid_currency) and the other ACH
| failure codes Stripe documents.
*/
const NOT_ENOUGH = 'The bank account did not have enough money for this payment.'
const CLOSED = 'The bank account is closed.'
const NOT_FOUND = 'The bank could not find this account: check the account and routing numbers.'
const NOT_AUTHORIZED = 'The account holder told their bank they did not authorize this debit.'
const RESTRICTED = 'The bank does not allow debits from this account.'
const FROZEN = 'The bank account is frozen.'

const BANK_FAILURES: Record<string, string> = {
  insufficient_funds: NOT_ENOUGH,
  R01: NOT_ENOUGH,
  R09: NOT_ENOUGH,
  account_closed: CLOSED,
  bank_account_closed: CLOSED,
  R02: CLOSED,
  no_account: NOT_FOUND,
  invalid_account_number: NOT_FOUND,
  bank_account_invalid_details: NOT_FOUND,
  bank_account_unusable: NOT_FOUND,
  R03: NOT_FOUND,
  R04: NOT_FOUND,
  debit_not_authorized: NOT_AUTHORIZED,
  R05: NOT_AUTHORIZED,
  R10: NOT_AUTHORIZED,
  R29: NOT_AUTHORIZED,
  R07: 'The account holder revoked the authorization for this debit.',
  R08: 'The account holder stopped this payment.',
  invalid_currency: 'This bank account cannot be debited in this currency.',
  bank_account_restricted: RESTRICTED,
  R16: FROZEN,
  account_frozen: FROZEN,
  bank_ownership_changed: 'The bank account changed owner, so it cannot be debited any more.',
}

export function bankFailureMessage(error: Stripe.PaymentIntent.LastPaymentError) {
  const codes = [
    error.decline_code,
    error.code,
    error.network_decline_code,
    returnCodeIn(error.message),
  ]
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
