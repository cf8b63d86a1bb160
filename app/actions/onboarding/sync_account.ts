import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import db from '@adonisjs/lucid/services/db'
import UserProfile from '#models/user_profile'
import { notifyAccountChanges, snapshotOf } from '#actions/onboarding/account_notifications'

/**
 * Copies what Stripe says about a contractor's Connect account into their
 * profile (the verification snapshot the onboarding page and /services use).
 * Called from account.updated webhooks and when the onboarding page refreshes.
 * Returns the profile, or null when the account is not one of ours.
 * A change the contractor must hear about is mailed (account_notifications).
 */
export async function syncAccountSnapshot(account: Stripe.Account) {
  return db.transaction(async (trx) => {
    const profile = await UserProfile.query({ client: trx })
      .where('stripeId', account.id)
      .forUpdate()
      .first()
    if (!profile) {
      return null
    }
    const before = snapshotOf(profile)
    copyAccount(profile, account)
    await profile.save()
    await notifyAccountChanges(trx, profile, before, snapshotOf(profile))
    return profile
  })
}

function copyAccount(profile: UserProfile, account: Stripe.Account) {
  const requirements = account.requirements
  const banks = (account.external_accounts?.data ?? []).filter(
    (item): item is Stripe.BankAccount => item.object === 'bank_account'
  )
  // Payouts go to the default account of the currency
  const externalAccount = banks.find((bank) => bank.default_for_currency) ?? banks[0]

  profile.merge({
    chargesEnabled: Boolean(account.charges_enabled),
    payoutsEnabled: Boolean(account.payouts_enabled),
    detailsSubmitted: Boolean(account.details_submitted),
    transfersCapability: account.capabilities?.transfers ?? null,
    requirementsCurrentlyDue: requirements?.currently_due ?? [],
    requirementsEventuallyDue: requirements?.eventually_due ?? [],
    requirementsPastDue: requirements?.past_due ?? [],
    requirementsPendingVerification: requirements?.pending_verification ?? [],
    requirementsErrors: (requirements?.errors ?? []).map((error) => ({
      requirement: error.requirement,
      code: error.code,
      reason: error.reason,
    })),
    disabledReason: requirements?.disabled_reason ?? null,
    stripeSyncedAt: DateTime.now(),
  })
  if (externalAccount) {
    profile.merge({ bankName: externalAccount.bank_name ?? null, bankLast4: externalAccount.last4 })
  } else if (account.external_accounts) {
    // Stripe listed the account's bank accounts and there is none any more
    profile.merge({ bankName: null, bankLast4: null })
  }
  if (account.tos_acceptance?.date && !profile.tosAcceptedAt) {
    profile.tosAcceptedAt = DateTime.fromSeconds(account.tos_acceptance.date)
  }
}
