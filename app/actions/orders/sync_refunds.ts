import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Order from '#models/order'
import { moveOrder } from '#actions/orders/order_state'

/**
 * Sets a locked captured order's refunded total from Stripe's charge
 * (amount_refunded only grows, so a stale event cannot lower it) and its
 * status: partially_refunded, or refunded once everything captured is back.
 */
export async function syncRefundTotals(
  trx: TransactionClientContract,
  order: Order,
  amountRefunded: number,
  actor: string,
  stripeId: string | null
) {
  if (!['captured', 'partially_refunded', 'refunded'].includes(order.status)) {
    return order
  }
  if (amountRefunded <= order.amountRefunded) {
    return order
  }
  const refunded = Math.min(amountRefunded, order.amountCaptured)
  const to = refunded >= order.amountCaptured ? 'refunded' : 'partially_refunded'
  return moveOrder(trx, order, to, {
    actor,
    type: 'order.refund_settled',
    set: { amountRefunded: refunded },
    amount: refunded - order.amountRefunded,
    stripeId,
    message: `Refunded in total: ${refunded} of ${order.amountCaptured}`,
  })
}
