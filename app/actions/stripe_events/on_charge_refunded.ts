import type Stripe from 'stripe'
import db from '@adonisjs/lucid/services/db'
import Payment from '#models/payment'
import { actors } from '#domain/actor'
import { capturedAmountRefunded } from '#stripe/payment_intents'
import { lockForOrder } from '#actions/orders/order_lock'
import { syncRefundedTotal } from '#actions/payments/record_payment_intent'
import { findPaymentForCharge } from '#actions/stripe_events/find_payment'

/**
 * charge.refunded: the payment's refunded total follows the charge (refunds
 * made from the console arrive here too, and refunds made on Stripe's
 * Dashboard). Releasing a hold also "refunds" the uncaptured charge: nothing
 * to do then; nor does the remainder a partial capture released.
 */
export default async function onChargeRefunded(event: Stripe.Event, actor: string) {
  const charge = event.data.object as Stripe.Charge
  if (!charge.captured) {
    return
  }
  const payment = await findPaymentForCharge(charge.id, charge.payment_intent)
  if (!payment) {
    return
  }
  await db.transaction(async (trx) => {
    await lockForOrder(trx, payment.orderId)
    const locked = await Payment.query({ client: trx }).where('id', payment.id).forUpdate().firstOrFail()
    await syncRefundedTotal(trx, locked, capturedAmountRefunded(charge), actors.stripe(actor), charge.id)
  })
}
