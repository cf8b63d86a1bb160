import UserProfile from '#models/user_profile'
import { platformFee, type FeePolicy } from '#money/fees'
import { stripeConfig } from '#stripe/client'

/**
 * The commission on an amount for a contractor: their override when one is
 * set (it replaces both the percentage and the fixed part; an unset part
 * counts as 0), the platform default (PLATFORM_FEE_PERCENT/FIXED) otherwise.
 */
export async function feePolicyFor(contractorId: number): Promise<FeePolicy> {
  const profile = await UserProfile.findBy('userId', contractorId)
  if (profile && (profile.feeBasisPointsOverride !== null || profile.feeFixedOverride !== null)) {
    return {
      basisPoints: profile.feeBasisPointsOverride ?? 0,
      fixed: profile.feeFixedOverride ?? 0,
    }
  }
  return stripeConfig().platformFee
}

export async function orderFee(contractorId: number, amount: number) {
  return platformFee(amount, await feePolicyFor(contractorId))
}
