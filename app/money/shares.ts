/*
|--------------------------------------------------------------------------
| Shares: splitting an amount in proportion, to the minor unit
|--------------------------------------------------------------------------
|
| Pure integer arithmetic (BigInt where products can exceed 2^53). Rounding
| is half up, as Stripe rounds a proportional reversal or fee refund.
|
*/

/** value × part / whole, rounded half up */
export function proportionalShare(value: number, part: number, whole: number) {
  if (whole <= 0 || value <= 0 || part <= 0) {
    return 0
  }
  const numerator = BigInt(value) * BigInt(part) * 2n + BigInt(whole)
  return Number(numerator / (BigInt(whole) * 2n))
}

/**
 * Splits `total` in proportion to `weights` so that the parts add up to
 * `total` exactly (largest remainder; ties go to the earlier weight).
 * allocate(100, [1, 1, 1]) → [34, 33, 33].
 */
export function allocate(total: number, weights: number[]): number[] {
  const sum = weights.reduce((acc, weight) => acc + weight, 0)
  if (total <= 0 || sum <= 0) {
    return weights.map(() => 0)
  }
  const exact = weights.map((weight) => BigInt(total) * BigInt(weight))
  const parts = exact.map((value) => Number(value / BigInt(sum)))
  const remainders = exact.map((value, index) => ({ index, rest: value % BigInt(sum) }))
  let left = total - parts.reduce((acc, part) => acc + part, 0)
  remainders.sort((a, b) => (a.rest === b.rest ? a.index - b.index : a.rest > b.rest ? -1 : 1))
  for (const { index } of remainders) {
    if (left <= 0) {
      break
    }
    parts[index] += 1
    left -= 1
  }
  return parts
}

/**
 * A line's contractor share of a refund in the charge flow: the part of
 * `paidOut` (what the contractor received for the line) that follows
 * `amount`, out of `lineAmount`, given `refundedBefore` already refunded on
 * the line. Computed on the running total (share of everything refunded so
 * far, minus the share of what was refunded before), so any number of
 * partial refunds adds up exactly to `paidOut` when the line is refunded in
 * full: the last refund settles every rounding remainder.
 */
export function contractorShareOfRefund(input: {
  lineAmount: number
  paidOut: number
  refundedBefore: number
  amount: number
}) {
  const { lineAmount, paidOut, refundedBefore, amount } = input
  const after = Math.min(lineAmount, refundedBefore + amount)
  return (
    proportionalShare(paidOut, after, lineAmount) -
    proportionalShare(paidOut, refundedBefore, lineAmount)
  )
}

/**
 * What Stripe's charge says is left of a destination charge: to refund, to
 * reverse of its transfer and to give back of its fee (the hold flow).
 */
export interface DestinationChargeState {
  captured: number
  /** Captured − refunded */
  refundable: number
  transfer: { amount: number; left: number } | null
  fee: { amount: number; left: number } | null
  /** Refunds already on the charge: each may have rounded its shares by a cent */
  refunds: number
}

/** What refunding part of a destination charge takes from the contractor */
export interface DestinationRefundShare {
  /** Reversed from the contractor's transfer */
  reversal: number
  /** Fee the platform gives back to the contractor in the same refund */
  feeRefund: number
  /** What the contractor loses in total: reversal − fee refund */
  owed: number
  /** The refund takes everything left (Stripe settles the remainders) */
  last: boolean
  /**
   * What Stripe would settle on this last refund when it is more than the
   * shares above (beyond a cent of rounding per earlier refund): earlier
   * refunds did not take their share. The shares above are then the
   * proportional ones, what the contractor fairly owes.
   */
  overreach: { reversal: number; feeRefund: number } | null
}

/**
 * The contractor's part of refunding `amount` of a destination charge, the
 * way Stripe computes it with reverse_transfer: the transfer reversed and the
 * fee refunded in proportion to the amount refunded (rounded half up); a
 * refund of everything left settles exactly what remains of both, which is
 * more than the proportional share when earlier refunds did not take theirs.
 */
export function destinationRefundShare(
  charge: DestinationChargeState,
  amount: number,
  refundApplicationFee: boolean
): DestinationRefundShare {
  const last = amount >= charge.refundable
  const part = (whole: { amount: number; left: number } | null) => {
    const fair = whole
      ? Math.min(whole.left, proportionalShare(whole.amount, amount, charge.captured))
      : 0
    return { fair, settled: whole && last ? whole.left : fair }
  }
  const reversal = part(charge.transfer)
  const feeRefund = refundApplicationFee ? part(charge.fee) : { fair: 0, settled: 0 }
  const beyondRounding = (shares: { fair: number; settled: number }) =>
    shares.settled - shares.fair > charge.refunds
  const overreach = beyondRounding(reversal) || beyondRounding(feeRefund)
  const taken = overreach ? 'fair' : 'settled'
  return {
    reversal: reversal[taken],
    feeRefund: feeRefund[taken],
    owed: reversal[taken] - feeRefund[taken],
    last,
    overreach: overreach ? { reversal: reversal.settled, feeRefund: feeRefund.settled } : null,
  }
}
