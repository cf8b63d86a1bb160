import { allocate, proportionalShare } from '#money/shares'

/*
|--------------------------------------------------------------------------
| Which lines a dispute concerns, and what each contractor gives back
|--------------------------------------------------------------------------
|
| A dispute is on a whole charge. In the hold flow the charge pays one line:
| the dispute concerns it. In the charge flow it pays several lines, and the
| bank does not say which: the disputed amount is put first on the lines
| already paid out (approved, their transfer paid: money that left the
| platform), in proportion to what is left of each (its amount less its
| refunds), then what remains on the lines not paid out yet (still held by
| the platform), in the same proportion. Declined and canceled lines were
| refunded: they are not concerned. Money beyond what is left on the lines
| (a charge partly refunded, then disputed in full) is on no line: Stripe
| gives that part back when the dispute is lost.
|
| A contractor's share of their line's part is the part of it that reached
| them: their transfer in proportion (charge flow: the transfer out of the
| line's amount; hold flow: the destination transfer less the platform's
| fee, out of the amount captured). The platform's fee on the disputed money
| is the platform's loss, as when a refund gives the fee back.
|
*/

export interface LineForDispute {
  id: number
  /** What the line is paid for (hold flow: the amount captured) */
  amount: number
  /** Refunded of it already */
  refunded: number
  /** Its contractor has been paid (the transfer is on Stripe) */
  paid: boolean
  /** Declined or canceled: its money went back to the employer */
  closed: boolean
}

/** Each concerned line's part of the disputed `amount` (lines with a part of 0 are left out) */
export function disputedParts(amount: number, lines: LineForDispute[]): Map<number, number> {
  const parts = new Map<number, number>()
  let left = Math.max(0, amount)
  const live = lines.filter((line) => !line.closed && line.amount - line.refunded > 0)
  for (const tier of [live.filter((line) => line.paid), live.filter((line) => !line.paid)]) {
    const weights = tier.map((line) => line.amount - line.refunded)
    const total = Math.min(
      left,
      weights.reduce((sum, weight) => sum + weight, 0)
    )
    const shares = allocate(total, weights)
    tier.forEach((line, index) => {
      if (shares[index] > 0) {
        parts.set(line.id, shares[index])
      }
    })
    left -= total
  }
  return parts
}

/**
 * What a contractor gives back for `part` of a line: the share of it that
 * reached them, `paidOut` out of `amount` (rounded half up, as Stripe rounds
 * a proportional reversal)
 */
export function contractorDisputeShare(input: { part: number; amount: number; paidOut: number }) {
  return Math.min(input.paidOut, proportionalShare(input.paidOut, input.part, input.amount))
}

/** Stripe's dispute fee split over the concerned lines, in proportion to their parts */
export function disputeFeeShares(fee: number, parts: Map<number, number>) {
  const ids = [...parts.keys()]
  const shares = allocate(
    fee,
    ids.map((id) => parts.get(id)!)
  )
  return new Map(ids.map((id, index) => [id, shares[index]]))
}

/**
 * A payment request's payment is one destination charge to one contractor,
 * captured at once. A dispute on it concerns what is left of it (captured
 * less refunded; money beyond that is on no line, as for orders: Stripe
 * gives it back when the dispute is lost). The contractor's share of that
 * part is what they received of it: the charge less the application fee,
 * in proportion (rounded half up, at most what they received). The fee on
 * the disputed money is the platform's loss, as for orders.
 */
export function requestDisputeShare(input: {
  /** The dispute's amount */
  disputed: number
  /** The payment's amount captured, and refunded of it */
  captured: number
  refunded: number
  /** The platform's application fee on the payment */
  applicationFee: number
}) {
  const left = Math.max(0, input.captured - input.refunded)
  const part = Math.min(Math.max(0, input.disputed), left)
  const paidOut = Math.max(0, input.captured - input.applicationFee)
  return {
    part,
    share: contractorDisputeShare({ part, amount: input.captured, paidOut }),
  }
}
