import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type UserProfile from '#models/user_profile'
import { notify } from '#mails/notify'
import {
  describeDisabledReason,
  describeRequirement,
  describeRequirementError,
  NOT_RESTRICTED,
} from '#actions/onboarding/requirement_messages'

/** What of a profile's Stripe snapshot the mails depend on */
export interface AccountSnapshot {
  chargesEnabled: boolean
  payoutsEnabled: boolean
  detailsSubmitted: boolean
  due: string[]
  errors: string[]
  disabledReason: string | null
  syncedAt: number | null
}

export function snapshotOf(profile: UserProfile): AccountSnapshot {
  return {
    chargesEnabled: profile.chargesEnabled,
    payoutsEnabled: profile.payoutsEnabled,
    detailsSubmitted: profile.detailsSubmitted,
    due: [...profile.requirementsCurrentlyDue, ...profile.requirementsPastDue],
    errors: profile.requirementsErrors.map((error) => `${error.requirement}:${error.code}`),
    disabledReason: profile.disabledReason,
    syncedAt: profile.stripeSyncedAt?.toMillis() ?? null,
  }
}

/**
 * Mails the contractor when their Connect account changed in a way they
 * must know about (written in the transaction that saves the new snapshot):
 * - account_enabled: it can now take card payments and be paid out;
 * - account_action_needed: after onboarding was submitted once, Stripe asks
 *   for something new (a requirement, a failed verification, a pause).
 * The key carries the previous snapshot's time: two syncs of the same change
 * (a webhook and a page load at once) send one mail.
 */
export async function notifyAccountChanges(
  trx: TransactionClientContract,
  profile: UserProfile,
  before: AccountSnapshot,
  after: AccountSnapshot
) {
  const occasion = `account:${profile.stripeId}:${before.syncedAt ?? 'first'}`
  const wasEnabled = before.chargesEnabled && before.payoutsEnabled
  const isEnabled = after.chargesEnabled && after.payoutsEnabled
  if (isEnabled && !wasEnabled) {
    await notify(trx, {
      key: `${occasion}:enabled`,
      to: { userId: profile.userId },
      message: 'account_enabled',
      data: {},
    })
  }

  if (!before.detailsSubmitted) {
    return
  }
  const newDue = after.due.filter((item) => !before.due.includes(item))
  const newErrors = profile.requirementsErrors.filter(
    (error) => !before.errors.includes(`${error.requirement}:${error.code}`)
  )
  const newlyPaused =
    after.disabledReason !== null &&
    after.disabledReason !== before.disabledReason &&
    !NOT_RESTRICTED.has(after.disabledReason)
  if (newDue.length === 0 && newErrors.length === 0 && !newlyPaused) {
    return
  }
  const items = [
    ...newErrors.map((error) => describeRequirementError(error.code)),
    ...newDue.map((item) => describeRequirement(item).message),
  ]
  await notify(trx, {
    key: `${occasion}:action_needed`,
    to: { userId: profile.userId },
    message: 'account_action_needed',
    data: {
      items: [...new Set(items)],
      deadline: null,
      pausedBecause:
        after.disabledReason && !after.chargesEnabled
          ? describeDisabledReason(after.disabledReason)
          : null,
    },
  })
}
