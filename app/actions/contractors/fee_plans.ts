import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import UserProfile from '#models/user_profile'
import { basisPointsToPercent, type FeePlan } from '#money/fees'
import { formatAmount } from '#money/amounts'
import { stripeConfig } from '#stripe/settings'

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

/** "10% + $0.30, min $1.00, max $25.00", amounts in `currency` */
export function describeFeePlan(plan: FeePlan | null, currency: string) {
  if (!plan) {
    return 'not recorded (first-stage order)'
  }
  const parts = [basisPointsToPercent(plan.basisPoints)]
  if (plan.fixed) {
    parts[0] += ` + ${formatAmount(plan.fixed, currency)}`
  }
  if (plan.minimum !== null && plan.minimum !== undefined) {
    parts.push(`min ${formatAmount(plan.minimum, currency)}`)
  }
  if (plan.maximum !== null && plan.maximum !== undefined) {
    parts.push(`max ${formatAmount(plan.maximum, currency)}`)
  }
  return parts.join(', ')
}
