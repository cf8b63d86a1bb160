import type Order from '#models/order'
import { DomainError } from '#exceptions/domain_error'
import { PAYMENT_REQUESTS } from '#models/payment'
import { platformFee } from '#money/fees'
import { formatAmount } from '#money/amounts'
import { linesOf, livePaymentOf } from '#actions/orders/order_parts'
import { feePlanFor } from '#actions/contractors/fee_plans'

/**
 * What capturing a held order would take: the amount (the whole hold when
 * not given) and the platform fee on it (for a partial capture, the line's
 * fee plan applied to the captured amount). Refuses an order that is not
 * held or an amount the hold does not cover. Shared by orders:capture's
 * confirmation and the capture itself.
 */
export async function previewCapture(order: Order, amount?: number) {
  const payment = await livePaymentOf(order.id)
  const [line] = await linesOf(order.id)
  if (!payment || payment.flow !== 'hold') {
    throw DomainError.conflict(
      `Order #${order.id} is not paid by a hold: there is nothing to capture (its payment was collected at once).`
    )
  }
  PAYMENT_REQUESTS.next(payment.status, 'capture', 'admin', `order #${order.id}`)
  if (payment.pendingAction === 'capture') {
    // An earlier run's capture, not answered: this run sends it again, as it was asked
    return {
      payment,
      line,
      amount: payment.pendingActionAmount ?? payment.amount,
      fee: payment.pendingActionFee ?? payment.applicationFeeAmount ?? line.feeAmount,
    }
  }
  if (payment.pendingAction) {
    throw DomainError.conflict(
      `A ${payment.pendingAction} of order #${order.id} is being sent to Stripe; try again in a moment.`
    )
  }
  const captured = amount ?? payment.amount
  if (captured <= 0) {
    throw DomainError.invalid('The amount to capture must be more than zero.')
  }
  if (captured > payment.amount) {
    throw DomainError.invalid(
      `Cannot capture ${formatAmount(captured, order.currency)}: the hold on order #${order.id} ` +
        `is ${formatAmount(payment.amount, order.currency)}.`
    )
  }
  const fee =
    captured === payment.amount
      ? (payment.applicationFeeAmount ?? line.feeAmount)
      : platformFee(captured, line.feePlan ?? (await feePlanFor(line.contractorId)))
  return { payment, line, amount: captured, fee }
}
