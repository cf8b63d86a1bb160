import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import UserProfile from '#models/user_profile'
import type { FeePlan } from '#money/fees'
import { stripeConfig } from '#stripe/client'

/** The platform default plan (PLATFORM_FEE_PERCENT, PLATFORM_FEE_FIXED) */
export function platformFeePlan(): FeePlan {
  const { basisPoints, fixed } = stripeConfig().platformFee
  return { basisPoints, fixed, minimum: null, maximum: null }
}

/** Whether the contractor has a plan of their own */
export function hasOwnFeePlan(profile: UserProfile | null) {
  return Boolean(
    profile &&
    (profile.feeBasisPointsOverride !== null ||
      profile.feeFixedOverride !== null ||
      profile.feeMinimumOverride !== null ||
      profile.feeMaximumOverride !== null)
  )
}

/**
 * The fee plan in force for a contractor: their own (set by an admin; an
 * unset part counts as 0 or no bound), or the platform default.
 */
export function feePlanOf(profile: UserProfile | null): FeePlan {
  if (!hasOwnFeePlan(profile)) {
    return platformFeePlan()
  }
  return {
    basisPoints: profile!.feeBasisPointsOverride ?? 0,
    fixed: profile!.feeFixedOverride ?? 0,
    minimum: profile!.feeMinimumOverride,
    maximum: profile!.feeMaximumOverride,
  }
}

export async function feePlanFor(contractorId: number, trx?: TransactionClientContract) {
  return feePlanOf(await UserProfile.findBy('userId', contractorId, trx ? { client: trx } : {}))
}
