/*
|--------------------------------------------------------------------------
| The platform's commission: fee plans
|--------------------------------------------------------------------------
|
| fee = round_half_up(amount × basis_points / 10 000) + fixed, then raised
| to the plan's minimum and lowered to its maximum (when it has them), and
| finally kept within 0 ≤ fee ≤ amount.
|
| Basis points (1/100 of a percent) keep the percentage an integer:
| 10% = 1000 bps, 12.5% = 1250 bps. Rounding is half up to the nearest minor
| unit (0.5 cent → 1 cent), in integer arithmetic. The fixed part, the
| minimum and the maximum are minor units of the line's currency.
|
| Each contractor may have their own plan (set by an admin); otherwise the
| platform default (PLATFORM_FEE_PERCENT, PLATFORM_FEE_FIXED) applies. The
| plan in force is copied onto each order line when it is ordered.
|
*/
import { assertMinorUnits } from '#money/amounts'

export interface FeePlan {
  basisPoints: number
  fixed: number
  minimum?: number | null
  maximum?: number | null
}

export function platformFee(amount: number, plan: FeePlan): number {
  assertMinorUnits(amount)
  assertMinorUnits(plan.basisPoints)
  assertMinorUnits(plan.fixed)
  if (amount <= 0) {
    return 0
  }
  let fee = Number((BigInt(amount) * BigInt(plan.basisPoints) + 5000n) / 10_000n) + plan.fixed
  if (plan.minimum !== null && plan.minimum !== undefined) {
    fee = Math.max(fee, plan.minimum)
  }
  if (plan.maximum !== null && plan.maximum !== undefined) {
    fee = Math.min(fee, plan.maximum)
  }
  return Math.min(amount, Math.max(0, fee))
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

/** 1250 → "12.5%", 1000 → "10%" */
export function basisPointsToPercent(basisPoints: number): string {
  const whole = Math.floor(basisPoints / 100)
  const fraction = String(basisPoints % 100)
    .padStart(2, '0')
    .replace(/0+$/, '')
  return `${whole}${fraction ? `.${fraction}` : ''}%`
}
