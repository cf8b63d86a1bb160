import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type OrderLine from '#models/order_line'
import type Payment from '#models/payment'
import { DomainError } from '#exceptions/domain_error'
import type { Actor } from '#domain/actor'
import { linesOf } from '#actions/orders/order_parts'
import { requestPaymentAction } from '#actions/payments/payment_actions'
import { asSystem } from '#actions/payments/record_payment_intent'
import { openLineRefund } from '#actions/refunds/refund_records'
import { openLineTransfer } from '#actions/transfers/line_transfer'

/*
| What a line's change means for the money, in one place (the order is
| locked by the caller; Stripe writes are written pending and sent after
| commit by driveOrder):
|
| - closed (declined, canceled): a hold is released; a captured charge gives
|   the line's price back (refund from the platform); a charge not captured
|   yet refunds it when it succeeds (followPayment);
| - approved: a captured charge sends the line's transfer; a hold is
|   captured (the line is approved when Stripe confirms it).
*/

/** Payment statuses in which a contractor may start work: the money is held, collected or on its way */
const WORKABLE = ['authorized', 'processing', 'succeeded', 'partially_refunded']

export function assertWorkCanStart(payment: Payment | null) {
  if (!payment || !WORKABLE.includes(payment.status)) {
    throw DomainError.conflict(
      "The employer's payment is not confirmed yet: the order can be accepted once it is."
    )
  }
}

export async function afterLineClosed(
  trx: TransactionClientContract,
  payment: Payment | null,
  line: OrderLine,
  actor: Actor,
  reason?: string
) {
  if (!payment) {
    return
  }
  const system = asSystem(actor)
  if (payment.flow === 'hold') {
    if (['authorized', 'requires_action'].includes(payment.status) && !payment.pendingAction) {
      await requestPaymentAction(trx, payment, 'cancel', system, {
        reason: reason ?? (line.status === 'declined' ? 'abandoned' : 'requested_by_customer'),
      })
    }
    return
  }
  if (payment.isCaptured) {
    await openLineRefund(trx, payment, line, actor)
    return
  }
  const lines = await linesOf(line.orderId, trx)
  const allClosed = lines.every((candidate) => ['declined', 'canceled'].includes(candidate.status))
  if (allClosed && payment.status === 'requires_action' && !payment.pendingAction) {
    await requestPaymentAction(trx, payment, 'cancel', system, { reason: 'requested_by_customer' })
  }
}

/** A charge-flow line approved: its transfer once the charge has succeeded */
export async function afterLineApproved(
  trx: TransactionClientContract,
  payment: Payment,
  line: OrderLine,
  actor: Actor
) {
  if (payment.flow === 'charge' && payment.isCaptured) {
    await openLineTransfer(trx, payment, line, actor)
  }
}
