import type OrderLine from '#models/order_line'
import type Payment from '#models/payment'
import type Refund from '#models/refund'
import type Transfer from '#models/transfer'
import type TransferReversal from '#models/transfer_reversal'
import { destinationRefundShare, type DestinationChargeState } from '#money/shares'

/*
|--------------------------------------------------------------------------
| Where an order's money went, party by party, after refunds
|--------------------------------------------------------------------------
|
| What each contractor received and gave back, what the platform kept of
| its fee, and who paid each refund: the order page's breakdown, its lines
| and its timeline. From our records only (no call to Stripe):
|
| - hold (destination charge): Stripe takes a refund back from the
|   contractor's transfer and gives back the fee in proportion
|   (reverse_transfer, refund_application_fee), rounding half up, the last
|   refund settling what is left. The same computation as the console's
|   refunds (`destinationRefundShare`), replayed refund by refund.
| - charge (separate transfers): a refund's reversals are recorded
|   (transfer_reversals); a declined or canceled line's refund is the
|   platform's alone (its contractor never received it).
| - a refund the platform covered records what the contractor owes
|   (`contractorOwes`, collected as a debit): counted as theirs.
|
*/

export interface RefundSplit {
  refundId: number
  amount: number
  lineId: number | null
  /** What the contractor gave back (or owes, when the platform covered it) */
  fromContractor: number
  /** The platform's part: its fee given back, or the whole refund */
  fromPlatform: number
  /** Of fromContractor, what is owed as a debit rather than taken back */
  owed: number
  /** A line declined or canceled before it was done */
  lineClosed: boolean
}

export interface LineMoney {
  lineId: number
  /** Paid out to the contractor for the line (after fees) */
  received: number
  /** Given back (or owed) with refunds */
  gaveBack: number
  /** Refunded to the employer on this line */
  refunded: number
}

export interface OrderMoney {
  lines: Map<number, LineMoney>
  refunds: Map<number, RefundSplit>
  /** Fees of the approved lines */
  platformFee: number
  /** The platform's part of the refunds (may exceed its fee when it paid a refund alone) */
  platformGaveBack: number
}

/** What the contractor received for a line, from its paid transfer */
export function receivedFor(line: OrderLine, transfer: Transfer | null, payment: Payment | null) {
  if (!transfer || transfer.status !== 'paid') {
    return 0
  }
  if (transfer.kind === 'destination') {
    // Stripe's transfer is the whole charge; the fee comes back to the platform
    const fee = payment?.applicationFeeAmount ?? line.feeAmount
    return transfer.amount - fee
  }
  return transfer.amount
}

export function orderMoney(input: {
  payment: Payment | null
  lines: OrderLine[]
  transfers: Transfer[]
  refunds: Refund[]
  reversals: TransferReversal[]
}): OrderMoney {
  const { payment, lines, transfers, reversals } = input
  const transferOf = (lineId: number) =>
    transfers.find((transfer) => transfer.orderLineId === lineId) ?? null
  const perLine = new Map<number, LineMoney>()
  for (const line of lines) {
    perLine.set(line.id, {
      lineId: line.id,
      received: receivedFor(line, transferOf(line.id), payment),
      gaveBack: 0,
      refunded: 0,
    })
  }

  const refunds = input.refunds
    .filter((refund) => refund.status === 'succeeded' && refund.paymentId === payment?.id)
    .sort((a, b) => a.id - b.id)
  const splits = new Map<number, RefundSplit>()

  // The destination charge as Stripe sees it, replayed refund by refund
  const holdLine = payment?.flow === 'hold' ? (lines[0] ?? null) : null
  const holdTransfer = holdLine ? transferOf(holdLine.id) : null
  const fee = payment?.applicationFeeAmount ?? holdLine?.feeAmount ?? 0
  const charge: DestinationChargeState | null =
    payment && holdLine
      ? {
          captured: payment.amountCaptured,
          refundable: payment.amountCaptured,
          transfer:
            holdTransfer?.status === 'paid'
              ? { amount: holdTransfer.amount, left: holdTransfer.amount }
              : null,
          fee: fee > 0 ? { amount: fee, left: fee } : null,
          refunds: 0,
        }
      : null

  for (const refund of refunds) {
    const lineId = refund.orderLineId ?? holdLine?.id ?? null
    const closed = refund.cause === 'line_canceled'
    let fromContractor = 0
    let owed = 0
    if (refund.contractorOwes) {
      owed = refund.contractorOwes
      fromContractor = owed
    } else if (!closed && charge && refund.reverseTransfer && charge.transfer) {
      const share = destinationRefundShare(charge, refund.amount, refund.refundApplicationFee)
      fromContractor = share.reversal - share.feeRefund
      charge.transfer.left -= share.reversal
      if (charge.fee) {
        charge.fee.left -= share.feeRefund
      }
    } else if (!closed && !charge) {
      fromContractor = reversals
        .filter((reversal) => reversal.refundId === refund.id && reversal.status === 'succeeded')
        .reduce((sum, reversal) => sum + reversal.amount, 0)
    }
    if (charge) {
      charge.refundable -= refund.amount
      charge.refunds += 1
    }
    splits.set(refund.id, {
      refundId: refund.id,
      amount: refund.amount,
      lineId,
      fromContractor,
      fromPlatform: refund.amount - fromContractor,
      owed,
      lineClosed: closed,
    })
    const money = lineId !== null ? perLine.get(lineId) : undefined
    if (money) {
      money.gaveBack += fromContractor
      money.refunded += refund.amount
    }
  }

  return {
    lines: perLine,
    refunds: splits,
    platformFee: holdLine
      ? holdLine.status === 'approved'
        ? fee
        : 0
      : lines
          .filter((line) => line.status === 'approved')
          .reduce((sum, line) => sum + line.feeAmount, 0),
    platformGaveBack: [...splits.values()]
      .filter((split) => !split.lineClosed)
      .reduce((sum, split) => sum + split.fromPlatform, 0),
  }
}
