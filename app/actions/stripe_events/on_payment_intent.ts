import type Stripe from 'stripe'
import { actors } from '#domain/actor'
import { findPaymentForIntent } from '#actions/stripe_events/find_payment'
import { followPaymentIntent } from '#actions/stripe_events/follow_payment_intent'

/**
 * payment_intent.*: the payment follows its PaymentIntent, forward only.
 */
export default async function onPaymentIntent(event: Stripe.Event, actor: string) {
  const paymentIntent = event.data.object as Stripe.PaymentIntent
  const payment = await findPaymentForIntent(paymentIntent.id, paymentIntent.metadata)
  if (!payment) {
    return
  }
  await followPaymentIntent(payment, paymentIntent.id, actors.stripe(actor))
}
