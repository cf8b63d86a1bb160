import type User from '#models/user'
import { stripe, stripeConfig } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { ensureConnectAccount } from '#actions/onboarding/ensure_account'
import { syncAccountSnapshot } from '#actions/onboarding/sync_account'

/**
 * Stripe's documented test values that verify an individual immediately
 * (DOB 1902-01-01, id 222222222, address_full_match_sync): only ever sent to
 * the sandbox or to Stripe in test mode.
 */
export const VERIFIED_TEST_INDIVIDUAL = {
  phone: '0000000000',
  dob: { day: 1, month: 1, year: 1902 },
  address: {
    line1: 'address_full_match_sync',
    city: 'San Francisco',
    state: 'CA',
    postal_code: '94111',
    country: 'US',
  },
  id_number: '222222222',
}

/**
 * Completes a contractor's Connect onboarding with test values, for demo data
 * and tests (the onboarding pages do the same step by step). Refuses to run
 * against live Stripe.
 */
export async function onboardWithTestValues(contractor: User) {
  if (stripeConfig().mode === 'stripe' && !stripeConfig().secretKey.startsWith('sk_test_')) {
    throw new Error('Test onboarding values are for test mode only')
  }
  const accountId = await ensureConnectAccount(contractor)
  const [firstName, ...rest] = contractor.fullName.split(' ')
  await stripe().accounts.update(
    accountId,
    {
      business_type: 'individual',
      business_profile: { mcc: '7299', product_description: 'Services sold on Crewpay' },
      individual: {
        ...VERIFIED_TEST_INDIVIDUAL,
        first_name: firstName,
        last_name: rest.join(' ') || firstName,
        email: contractor.email,
      },
      tos_acceptance: { date: Math.floor(Date.now() / 1000), ip: '127.0.0.1' },
      external_account: {
        object: 'bank_account',
        country: 'US',
        currency: 'usd',
        routing_number: '110000000',
        account_number: '000123456789',
      } as unknown as string,
    },
    { idempotencyKey: idempotencyKey('user', contractor, 'test_onboarding') }
  )
  const account = await stripe().accounts.retrieve(accountId)
  await syncAccountSnapshot(account)
  return account
}
