import type Stripe from 'stripe'
import db from '@adonisjs/lucid/services/db'
import Payment from '#models/payment'
import { lockForOrder } from '#actions/orders/order_lock'
import { findPaymentForCharge } from '#actions/stripe_events/find_payment'
import { recordPaymentEvent } from '#services/payment_events'

/** charge.dispute.created: the payment is flagged for the admins */
export default async function onDisputeCreated(event: Stripe.Event, actor: string) {
  const dispute = event.data.object as Stripe.Dispute
  const chargeId = typeof dispute.charge === 'string' ? dispute.charge : dispute.charge?.id
  const payment = chargeId ? await findPaymentForCharge(chargeId, dispute.payment_intent) : null
  if (!payment) {
    return
  }
  await db.transaction(async (trx) => {
    await lockForOrder(trx, payment.orderId)
    const locked = await Payment.query({ client: trx })
      .where('id', payment.id)
      .forUpdate()
      .firstOrFail()
    if (locked.disputed) {
      return
    }
    locked.useTransaction(trx)
    locked.disputed = true
    await locked.save()
    await recordPaymentEvent(trx, {
      orderId: locked.orderId,
      paymentId: locked.id,
      actor,
      type: 'payment.disputed',
      amount: dispute.amount,
      currency: dispute.currency,
      stripeId: dispute.id,
      message: `Dispute opened: ${dispute.reason}`,
    })
  })
}
