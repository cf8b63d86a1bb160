import db from '@adonisjs/lucid/services/db'
import Payment from '#models/payment'
import type { Actor } from '#domain/actor'
import { stripe } from '#stripe/client'
import { PAYMENT_INTENT_EXPAND } from '#stripe/payment_intents'
import { lockForPayer } from '#actions/orders/order_lock'
import { recordPaymentIntent } from '#actions/payments/record_payment_intent'
import { driveOrder } from '#actions/orders/drive_order'

/**
 * Brings a payment in line with its PaymentIntent as Stripe has it now (read
 * fresh, with its charge, before any lock: an out-of-order event can only
 * tell what is current), then sends what that decided (transfers, refunds, a
 * release). Used by the PaymentIntent and charge webhooks and reconciliation.
 */
export async function followPaymentIntent(payment: Payment, paymentIntentId: string, actor: Actor) {
  const paymentIntent = await stripe().paymentIntents.retrieve(paymentIntentId, {
    expand: PAYMENT_INTENT_EXPAND,
  })
  await db.transaction(async (trx) => {
    await lockForPayer(trx, payment)
    const locked = await Payment.query({ client: trx })
      .where('id', payment.id)
      .forUpdate()
      .firstOrFail()
    await recordPaymentIntent(trx, locked, paymentIntent, actor)
  })
  if (payment.orderId !== null) {
    await driveOrder(payment.orderId)
  }
}
