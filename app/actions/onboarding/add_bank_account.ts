import type { Infer } from '@vinejs/vine/types'
import type User from '#models/user'
import { stripeConfig } from '#stripe/client'
import type { bankValidator } from '#validators/onboarding'
import { updateAccount } from '#actions/onboarding/account_writes'

const FIELDS: Record<string, string> = {
  'external_account[routing_number]': 'routing_number',
  'external_account[account_number]': 'account_number',
  'external_account[account_holder_name]': 'account_holder_name',
}

/**
 * Bank step: the account payouts go to, replacing the previous one. The full
 * account number only passes through to Stripe; we keep the bank's name and
 * the last 4 digits Stripe returns (syncAccountSnapshot).
 */
export async function addBankAccount(user: User, input: Infer<typeof bankValidator>) {
  const { profile } = await updateAccount(
    user,
    'bank',
    {
      external_account: {
        object: 'bank_account',
        country: stripeConfig().connectCountry,
        currency: 'usd',
        routing_number: input.routing_number,
        account_number: input.account_number,
        account_holder_name: input.account_holder_name,
        account_holder_type: 'individual',
      },
    },
    FIELDS
  )
  return profile
}
