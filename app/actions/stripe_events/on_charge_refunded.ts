import type Stripe from 'stripe'
import { withLockedOrder } from '#actions/orders/order_state'
import { capturedAmountRefunded, syncRefundTotals } from '#actions/orders/sync_refunds'
import { findOrderForCharge } from '#actions/stripe_events/find_order'

/**
 * charge.refunded: the order's refunded total follows the charge (refunds made
 * from the console arrive here too, and refunds made on Stripe's Dashboard).
 * Releasing a hold also "refunds" the uncaptured charge: nothing to do then;
 * nor does the remainder a partial capture released (capturedAmountRefunded).
 */
export default async function onChargeRefunded(event: Stripe.Event, actor: string) {
  const charge = event.data.object as Stripe.Charge
  if (!charge.captured) {
    return
  }
  const order = await findOrderForCharge(charge.id, charge.payment_intent)
  if (!order) {
    return
  }
  await withLockedOrder(order.id, (locked, trx) =>
    syncRefundTotals(trx, locked, capturedAmountRefunded(charge), actor, charge.id)
  )
}
