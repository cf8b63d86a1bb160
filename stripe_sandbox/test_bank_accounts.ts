/*
 * Stripe's ACH Direct Debit test bank accounts (§11 of the fact sheet):
 * routing number 110000000 with these account numbers, or the matching
 * `pm_usBankAccount_*` test PaymentMethods. Any other account number
 * behaves like 000123456789.
 */

export type AchOutcome =
  | 'success'
  | 'account_closed'
  | 'no_account'
  | 'insufficient_funds'
  | 'debit_not_authorized'
  | 'invalid_currency'
  | 'processing'

export interface AchFailure {
  /** `charge.failure_code` and `last_payment_error.code` */
  code: string
  /** the NACHA return code, in `last_payment_error.network_decline_code` */
  returnCode: string | null
  message: string
  /** why the PaymentMethod is blocked from further debits, if it is */
  blocks: string | null
}

export interface TestBankAccount {
  accountNumber: string
  outcome: AchOutcome
  /** microdeposits to this account fail to arrive */
  failMicrodeposits?: boolean
  /** the test PaymentMethod whose dispute opens once the payment succeeds */
  disputeAs?: string
}

export const TEST_ROUTING_NUMBER = '110000000'
export const TEST_BANK_NAME = 'STRIPE TEST BANK'

const byNumber: Record<string, TestBankAccount> = {}
const account = (
  accountNumber: string,
  outcome: AchOutcome,
  extra: Partial<TestBankAccount> = {}
) => (byNumber[accountNumber] = { accountNumber, outcome, ...extra })

export const TEST_BANK_ACCOUNTS = {
  success: account('000123456789', 'success'),
  accountClosed: account('000111111113', 'account_closed'),
  noAccount: account('000111111116', 'no_account'),
  insufficientFunds: account('000222222227', 'insufficient_funds'),
  debitNotAuthorized: account('000333333335', 'debit_not_authorized'),
  invalidCurrency: account('000444444440', 'invalid_currency'),
  failMicrodeposits: account('000666666661', 'success', { failMicrodeposits: true }),
  // The payment succeeds, then is disputed (disputes/test_cards.ts)
  dispute: account('000555555559', 'success', { disputeAs: 'pm_usBankAccount_dispute' }),
  processing: account('000000000009', 'processing'),
}

/**
 * The test PaymentMethods. They are already verified (as Stripe's test
 * PaymentMethods are), except failMicrodeposits, whose point is the
 * microdeposits.
 */
const TOKENS: Record<string, TestBankAccount> = Object.fromEntries(
  Object.entries(TEST_BANK_ACCOUNTS).map(([name, value]) => [`pm_usBankAccount_${name}`, value])
)

export function lookupBankToken(id: string): TestBankAccount | undefined {
  return Object.hasOwn(TOKENS, id) ? TOKENS[id] : undefined
}

export function testBankAccount(accountNumber: string): TestBankAccount {
  return byNumber[accountNumber] ?? { accountNumber, outcome: 'success' }
}

/** How each failing test account fails (codes as Stripe's ACH failure codes). */
export const ACH_FAILURES: Record<string, AchFailure> = {
  account_closed: {
    code: 'account_closed',
    returnCode: 'R02',
    message: "The customer's bank account has been closed.",
    blocks: 'bank_account_closed',
  },
  no_account: {
    code: 'no_account',
    returnCode: 'R03',
    message: "The customer's bank account could not be located.",
    blocks: 'bank_account_invalid_details',
  },
  insufficient_funds: {
    code: 'insufficient_funds',
    returnCode: 'R01',
    message: "The customer's account has insufficient funds to cover this payment.",
    blocks: null,
  },
  debit_not_authorized: {
    code: 'debit_not_authorized',
    returnCode: 'R10',
    message: 'The customer has notified their bank that this payment was unauthorized.',
    blocks: 'debit_not_authorized',
  },
  invalid_currency: {
    code: 'invalid_currency',
    returnCode: null,
    message: 'The bank was unable to process this payment because of its currency.',
    blocks: null,
  },
}
