import type Stripe from 'stripe'
import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { stripe } from '#stripe/client'
import { reportStripeError } from '#stripe/errors'
import { ensureConnectAccount } from '#actions/onboarding/ensure_account'
import { syncAccountSnapshot } from '#actions/onboarding/sync_account'
import { onboardingState } from '#actions/onboarding/onboarding_status'
import { idNumberOnFile } from '#actions/onboarding/submit_details'

/** What the details form shows again (never the SSN: Stripe does not return it) */
export interface DetailsOnFile {
  first_name: string
  last_name: string
  dob: string
  phone: string
  address_line1: string
  address_city: string
  address_state: string
  address_postal_code: string
}

function detailsOnFile(account: Stripe.Account): DetailsOnFile | null {
  const person = account.individual
  if (!person) {
    return null
  }
  const dob = person.dob
  const pad = (value: number) => String(value).padStart(2, '0')
  return {
    first_name: person.first_name ?? '',
    last_name: person.last_name ?? '',
    dob: dob?.year && dob.month && dob.day ? `${dob.year}-${pad(dob.month)}-${pad(dob.day)}` : '',
    phone: person.phone ?? '',
    address_line1: person.address?.line1 ?? '',
    address_city: person.address?.city ?? '',
    address_state: person.address?.state ?? '',
    address_postal_code: person.address?.postal_code ?? '',
  }
}

/**
 * The onboarding page: creates the Connect account if signup could not, then
 * reads the account from Stripe so the page (and the snapshot /services
 * relies on) follows Stripe. When Stripe cannot be reached, the last
 * snapshot is shown with a warning instead of an error page.
 */
export async function loadOnboarding(user: User) {
  let profile = await UserProfile.findByOrFail('userId', user.id)
  let warning: string | null = null
  let account: Stripe.Account | null = null

  if (!profile.stripeId) {
    try {
      await ensureConnectAccount(user)
      await profile.refresh()
    } catch (error) {
      const described = reportStripeError(error, { userId: user.id, operation: 'ensure_account' })
      warning = described.isTransient
        ? 'Stripe is unreachable right now, so your payment account could not be set up yet. ' +
          'Reload this page in a moment.'
        : `Your payment account could not be set up: ${described.message}`
    }
  }

  if (profile.stripeId) {
    try {
      account = await stripe().accounts.retrieve(profile.stripeId)
      profile = (await syncAccountSnapshot(account)) ?? profile
    } catch (error) {
      const described = reportStripeError(error, { userId: user.id, operation: 'refresh_account' })
      if (!described.isTransient) {
        warning =
          'Stripe could not return your payment account. Contact Crewpay support; ' +
          'this is your status as Stripe last reported it.'
      } else if (profile.stripeSyncedAt) {
        warning = 'Stripe is unreachable right now: this is your status as Stripe last reported it.'
      } else {
        warning =
          'Stripe is unreachable right now; reload this page in a moment to see your status.'
      }
    }
  }

  const documentOnFile = Boolean(account?.individual?.verification?.document?.front)
  return {
    profile,
    warning,
    state: onboardingState(profile, { documentOnFile }),
    details: account ? detailsOnFile(account) : null,
    idNumberOnFile: idNumberOnFile(profile),
  }
}

/** How old the snapshot may be before the status endpoint asks Stripe again */
export const STATUS_MAX_AGE_SECONDS = 5

/**
 * Where the contractor stands, for the onboarding page's status check while
 * Stripe verifies: the snapshot (kept by account.updated webhooks), read
 * again from Stripe when it is older than a few seconds, so the page follows
 * even without webhooks, without calling Stripe on every poll.
 */
export async function onboardingStatusNow(user: User) {
  let profile = await UserProfile.findByOrFail('userId', user.id)
  const age = profile.stripeSyncedAt ? -profile.stripeSyncedAt.diffNow('seconds').seconds : Infinity
  if (profile.stripeId && age > STATUS_MAX_AGE_SECONDS) {
    try {
      const account = await stripe().accounts.retrieve(profile.stripeId)
      profile = (await syncAccountSnapshot(account)) ?? profile
    } catch (error) {
      reportStripeError(error, { userId: user.id, operation: 'refresh_account' })
    }
  }
  return { profile, state: onboardingState(profile) }
}
