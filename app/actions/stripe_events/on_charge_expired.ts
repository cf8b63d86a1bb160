import type Stripe from 'stripe'
import { actors } from '#domain/actor'
import { findPaymentForCharge } from '#actions/stripe_events/find_payment'
import { followPaymentIntent } from '#actions/stripe_events/follow_payment_intent'

/** charge.expired: Stripe released a hold nobody captured in time; its PaymentIntent says so */
export default async function onChargeExpired(event: Stripe.Event, actor: string) {
  const charge = event.data.object as Stripe.Charge
  const payment = await findPaymentForCharge(charge.id, charge.payment_intent)
  const paymentIntentId =
    typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id
  if (!payment || !paymentIntentId) {
    return
  }
  await followPaymentIntent(payment, paymentIntentId, actors.stripe(actor))
}
