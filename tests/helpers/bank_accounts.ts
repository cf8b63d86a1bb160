import { randomUUID } from 'node:crypto'
import type User from '#models/user'
import type BankAccount from '#models/bank_account'
import { addBankAccount } from '#actions/bank_accounts/add_bank_account'
import { verifyBankAccount } from '#actions/bank_accounts/manage_bank_account'
import { mandateAcceptance } from '#actions/bank_accounts/mandate'

/** Stripe's test routing number and the account whose debits succeed */
export const TEST_ROUTING = '110000000'
export const SUCCESS_ACCOUNT = '000123456789'

/** The mandate acceptance the tests record (as a browser at this IP would) */
export const TEST_CLIENT = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (Crewpay tests)' }

/** A bank account saved through the real action: waiting for its microdeposits */
export async function addTestBankAccount(employer: User, accountNumber = SUCCESS_ACCOUNT) {
  return addBankAccount(
    employer,
    {
      routingNumber: TEST_ROUTING,
      accountNumber,
      holderName: employer.fullName,
      holderType: 'individual',
    },
    mandateAcceptance(TEST_CLIENT),
    randomUUID()
  )
}

/** A bank account saved and verified with the sandbox's descriptor code */
export async function addVerifiedBankAccount(
  employer: User,
  accountNumber = SUCCESS_ACCOUNT
): Promise<BankAccount> {
  const row = await addTestBankAccount(employer, accountNumber)
  return verifyBankAccount(employer, row.id, { descriptorCode: 'SM11AA' }, randomUUID())
}
