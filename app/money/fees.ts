/*
|--------------------------------------------------------------------------
| The platform's commission
|--------------------------------------------------------------------------
|
| fee = round_half_up(amount × basis_points / 10 000) + fixed, then clamped
| to 0 ≤ fee ≤ amount.
|
| Basis points (1/100 of a percent) keep the percentage an integer:
| 10% = 1000 bps, 12.5% = 1250 bps. Rounding is half up to the nearest minor
| unit (0.5 cent → 1 cent), in integer arithmetic. A contractor's override
| replaces the platform default (both its percentage and its fixed part).
|
*/
import { assertMinorUnits } from '#money/amounts'

export interface FeePolicy {
  basisPoints: number
  fixed: number
}

export function platformFee(amount: number, policy: FeePolicy): number {
  assertMinorUnits(amount)
  assertMinorUnits(policy.basisPoints)
  assertMinorUnits(policy.fixed)
  if (amount <= 0) {
    return 0
  }
  const proportional = Math.floor((amount * policy.basisPoints + 5000) / 10_000)
  return Math.min(amount, Math.max(0, proportional + policy.fixed))
}

/**
 * "10" → 1000, "12.5" → 1250, "0.25" → 25. At most two decimals, 0 to 100%.
 */
export function percentToBasisPoints(percent: string): number {
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(percent.trim())
  if (!match) {
    throw new Error(`"${percent}" is not a percentage (e.g. 10 or 12.5)`)
  }
  const basisPoints = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'))
  if (basisPoints > 10_000) {
    throw new Error(`A percentage cannot exceed 100 (got ${percent})`)
  }
  return basisPoints
}
