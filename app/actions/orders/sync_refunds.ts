import type Stripe from 'stripe'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Order from '#models/order'
import { moveOrder } from '#actions/orders/order_state'
import { formatAmount } from '#money/amounts'

/**
 * What has been refunded of the money a charge actually captured. After a
 * partial capture Stripe counts the released (never captured) remainder in
 * `charge.amount_refunded` too (the sandbox does; the fact sheet marks it
 * UNCONFIRMED for Stripe), so that remainder is taken off. Were Stripe not to
 * count it, this would under-count: the order would show less refunded, and
 * Stripe itself still refuses refunding more than what is left.
 */
export function capturedAmountRefunded(
  charge: Pick<Stripe.Charge, 'amount' | 'amount_captured' | 'amount_refunded' | 'captured'>
) {
  if (!charge.captured) {
    return 0
  }
  const released = charge.amount - charge.amount_captured
  return Math.max(0, charge.amount_refunded - released)
}

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
    message:
      `Refunded in total: ${formatAmount(refunded, order.currency)} of ` +
      formatAmount(order.amountCaptured, order.currency),
  })
}
