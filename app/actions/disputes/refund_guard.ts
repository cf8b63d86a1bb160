import Dispute from '#models/dispute'
import { DomainError } from '#exceptions/domain_error'
import { formatAmount } from '#money/amounts'
import Payment from '#models/payment'
import { livePaymentOf } from '#actions/orders/order_parts'
import type { RefundTarget } from '#actions/refunds/refund_target'

/**
 * Refuses up front a refund Stripe would refuse (`charge_disputed`): the
 * payment's chargeback is open, or was lost (the bank already gave the
 * money back to the cardholder: a refund would pay them twice). Inquiries
 * and won disputes leave the payment refundable.
 */
export async function refuseRefundDuringChargeback(target: RefundTarget) {
  const payment =
    target.kind === 'order'
      ? await livePaymentOf(target.orderId)
      : await Payment.find(target.paymentId)
  if (!payment) {
    return
  }
  const subject =
    target.kind === 'order' ? `Order #${target.orderId}'s payment` : `Payment #${payment.id}`
  const disputes = await Dispute.query().where('paymentId', payment.id).orderBy('id', 'desc')
  const money = (value: number) => formatAmount(value, payment.currency)
  const open = disputes.find((dispute) => dispute.isOpenChargeback)
  if (open) {
    throw DomainError.conflict(
      `${subject} has an open chargeback (dispute #${open.id}, ` +
        `${money(open.amount)}, ${open.status.replaceAll('_', ' ')}): Stripe refuses refunds ` +
        'until the bank decides. Nothing was refunded. Answer it with disputes:evidence ' +
        `${open.id}, or accept it with disputes:accept ${open.id}; once won, it can be refunded.`
    )
  }
  const lost = disputes.find((dispute) => dispute.status === 'lost')
  if (lost) {
    throw DomainError.conflict(
      `${subject} was charged back and the dispute was lost (dispute #${lost.id}): ` +
        `the bank already returned ${money(lost.amount)} to the employer, so a refund would pay ` +
        'them twice. Nothing was refunded.'
    )
  }
}
