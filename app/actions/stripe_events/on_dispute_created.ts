import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import { withLockedOrder } from '#actions/orders/order_state'
import { findOrderForCharge } from '#actions/stripe_events/find_order'
import { recordPaymentEvent } from '#services/payment_events'

/** charge.dispute.created: the order is flagged for the admins */
export default async function onDisputeCreated(event: Stripe.Event, actor: string) {
  const dispute = event.data.object as Stripe.Dispute
  const chargeId = typeof dispute.charge === 'string' ? dispute.charge : dispute.charge.id
  const order = await findOrderForCharge(chargeId, dispute.payment_intent)
  if (!order) {
    return
  }
  await withLockedOrder(order.id, async (locked, trx) => {
    if (locked.disputedAt) {
      return
    }
    locked.useTransaction(trx)
    locked.merge({ disputedAt: DateTime.now(), disputeReason: dispute.reason })
    await locked.save()
    await recordPaymentEvent(trx, {
      orderId: locked.id,
      actor,
      type: 'order.disputed',
      amount: dispute.amount,
      currency: dispute.currency,
      stripeId: dispute.id,
      message: `Dispute opened: ${dispute.reason}`,
    })
  })
}
