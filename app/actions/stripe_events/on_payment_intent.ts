import type Stripe from 'stripe'
import { withLockedOrder } from '#actions/orders/order_state'
import { settleFromPaymentIntent } from '#actions/orders/settle_from_stripe'
import { findOrderForPaymentIntent } from '#actions/stripe_events/find_order'

/**
 * payment_intent.amount_capturable_updated / succeeded / canceled /
 * payment_failed: the order follows its PaymentIntent, forward only.
 */
export default async function onPaymentIntent(event: Stripe.Event, actor: string) {
  const paymentIntent = event.data.object as Stripe.PaymentIntent
  const order = await findOrderForPaymentIntent(paymentIntent.id, paymentIntent.metadata?.order_id)
  if (!order) {
    return
  }
  await withLockedOrder(order.id, (locked, trx) =>
    settleFromPaymentIntent(trx, locked, paymentIntent, actor)
  )
}
