import Refund from '#models/refund'
import { sendToStripe } from '#stripe/write'
import { sendRefund } from '#actions/refunds/refund_records'

/**
 * Sends a payment request's payment's refunds that are written but not
 * answered yet, each with its own key (a destination charge has no
 * reversal or transfer of ours to send: Stripe takes the contractor's share
 * with the refund). The counterpart of `driveOrder` for a payment without
 * an order.
 */
export async function drivePaymentWrites(paymentId: number) {
  const refunds = await Refund.query()
    .where('paymentId', paymentId)
    .where('status', 'pending')
    .orderBy('id')
  const driven = []
  for (const refund of refunds) {
    driven.push({
      operation: 'refund' as const,
      id: refund.id,
      outcome: await sendToStripe(sendRefund, refund, { writtenAt: refund.createdAt }),
    })
  }
  return driven
}
