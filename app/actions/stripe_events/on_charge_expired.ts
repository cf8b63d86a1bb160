import type Stripe from 'stripe'
import { HELD_STATUSES } from '#models/order'
import { moveOrder, withLockedOrder } from '#actions/orders/order_state'
import { findOrderForCharge } from '#actions/stripe_events/find_order'

/** charge.expired: Stripe released a hold nobody captured within 7 days */
export default async function onChargeExpired(event: Stripe.Event, actor: string) {
  const charge = event.data.object as Stripe.Charge
  const order = await findOrderForCharge(charge.id, charge.payment_intent)
  if (!order) {
    return
  }
  await withLockedOrder(order.id, async (locked, trx) => {
    if (!HELD_STATUSES.includes(locked.status)) {
      return
    }
    await moveOrder(trx, locked, 'expired', {
      actor,
      type: 'order.expired',
      set: { cancellationReason: 'automatic' },
      amount: locked.amount,
      stripeId: charge.id,
      message: 'Stripe released the authorization after 7 days',
    })
  })
}
