import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Payment, { CAPTURED_STATUSES } from '#models/payment'
import type PaymentRequest from '#models/payment_request'

/**
 * A receipt's "paid so far" and "balance due": as they stood once this
 * payment succeeded (the succeeded payments up to it, in the order they
 * succeeded), so a receipt reads the same whenever it is made.
 */
export async function receiptFigures(
  payment: Payment,
  request: PaymentRequest,
  trx?: TransactionClientContract
) {
  const captured = await Payment.query(trx ? { client: trx } : {})
    .where('paymentRequestId', request.id)
    .whereIn('status', CAPTURED_STATUSES)
  const at = (candidate: Payment) => (candidate.succeededAt ?? candidate.updatedAt).toMillis()
  const mine = at(payment)
  const paidSoFar = captured
    .filter((other) => at(other) < mine || (at(other) === mine && other.id <= payment.id))
    .reduce((sum, other) => sum + other.amountCaptured, 0)
  return { paidSoFar, balanceDue: Math.max(0, request.amount - paidSoFar) }
}
