import type { Infer } from '@vinejs/vine/types'
import type User from '#models/user'
import type UserProfile from '#models/user_profile'
import { stripeConfig } from '#stripe/client'
import { type detailsValidator, splitDate } from '#validators/onboarding'
import { updateAccount } from '#actions/onboarding/account_writes'

/**
 * How Crewpay describes a contractor's business to Stripe, so they do not
 * have to: 7299 is "miscellaneous personal services", and the description
 * stands in for a website (Stripe accepts either).
 */
export const BUSINESS_PROFILE = {
  mcc: '7299',
  product_description:
    'Independent contractor selling services (repairs, design, tutoring and similar work) ' +
    'to clients through the Crewpay marketplace; paid per order.',
}

/** Which form field a Stripe `param` concerns */
const FIELDS: Record<string, string> = {
  'individual[first_name]': 'first_name',
  'individual[last_name]': 'last_name',
  'individual[dob]': 'dob',
  'individual[phone]': 'phone',
  'individual[address][line1]': 'address_line1',
  'individual[address][city]': 'address_city',
  'individual[address][state]': 'address_state',
  'individual[address][postal_code]': 'address_postal_code',
  'individual[id_number]': 'id_number',
  'individual[ssn_last_4]': 'ssn_last_4',
}

/**
 * Stripe already has an SSN (full or last 4) for this contractor, so a
 * correction of other details may leave the number out.
 */
export function idNumberOnFile(profile: UserProfile) {
  const due = [...profile.requirementsCurrentlyDue, ...profile.requirementsPastDue]
  return (
    Boolean(profile.stripeId && profile.stripeSyncedAt) &&
    !due.includes('individual.ssn_last_4') &&
    !due.includes('individual.id_number')
  )
}

/** Details step: the contractor's identity as an individual, and a business profile */
export async function submitDetails(user: User, input: Infer<typeof detailsValidator>) {
  const identityNumber = input.id_number
    ? { id_number: input.id_number }
    : input.ssn_last_4
      ? { ssn_last_4: input.ssn_last_4 }
      : {}
  return updateAccount(
    user,
    'details',
    {
      business_type: 'individual',
      business_profile: BUSINESS_PROFILE,
      individual: {
        first_name: input.first_name,
        last_name: input.last_name,
        email: user.email,
        phone: input.phone,
        dob: splitDate(input.dob),
        address: {
          line1: input.address_line1,
          city: input.address_city,
          state: input.address_state,
          postal_code: input.address_postal_code,
          country: stripeConfig().connectCountry,
        },
        ...identityNumber,
      },
    },
    FIELDS
  )
}
