import type Order from '#models/order'
import Payment from '#models/payment'
import { DomainError } from '#exceptions/domain_error'
import { actors } from '#domain/actor'
import { stripe } from '#stripe/client'
import { isStripeError, reportStripeError } from '#stripe/errors'
import { livePaymentOf } from '#actions/orders/order_parts'
import { followPaymentIntent } from '#actions/stripe_events/follow_payment_intent'

/*
| 3-D Secure for an order's payment. Placed from the website, a card payment
| is confirmed on session with a return_url (confirmation_params.ts); when the
| card's bank asks for authentication the payment is `requires_action` and
| its PaymentIntent names the bank's page (Stripe's test page in sandbox
| mode). The order page links there; the bank sends the employer back to
| /orders/:id/authenticated, and the payment then follows its PaymentIntent
| (authorized, succeeded, or failed) through the same recorder as webhooks.
*/

export function unavailable(error: unknown, operation: string) {
  if (!isStripeError(error)) {
    return error
  }
  const described = reportStripeError(error, { operation })
  return DomainError.unavailable(described.message)
}

/**
 * Where to send the employer to authenticate the order's payment, or null
 * when the payment is not waiting for it any more (recorded on the way).
 */
export async function paymentAuthenticationUrl(order: Order): Promise<string | null> {
  const payment = await livePaymentOf(order.id)
  return payment
    ? bankPageOf(
        payment,
        'This payment cannot be authenticated from here. Cancel the order and place it again.'
      )
    : null
}

/**
 * The bank's page for a payment waiting for 3-D Secure (an order's or a
 * payment request's), or null when it no longer waits: what Stripe says is
 * recorded on the way. `cannot`: the refusal when Stripe gives no page.
 */
export async function bankPageOf(payment: Payment, cannot: string): Promise<string | null> {
  if (payment.status !== 'requires_action' || !payment.stripePaymentIntentId) {
    return null
  }
  let paymentIntent
  try {
    paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId)
  } catch (error) {
    throw unavailable(error, 'payment_authentication')
  }
  if (paymentIntent.status !== 'requires_action') {
    try {
      await followPaymentIntent(
        payment,
        paymentIntent.id,
        actors.stripe(`user:${payment.employerId}`)
      )
    } catch (error) {
      throw unavailable(error, 'payment_authentication')
    }
    return null
  }
  const url = paymentIntent.next_action?.redirect_to_url?.url
  if (!url) {
    throw DomainError.conflict(cannot)
  }
  return url
}

/**
 * The employer is back from the bank's page: the payment follows its
 * PaymentIntent as Stripe has it (never the URL's redirect_status). Another
 * order's PaymentIntent is a 404.
 */
export async function finishPaymentAuthentication(order: Order, paymentIntentId: string) {
  const payment = /^pi_[A-Za-z0-9]{1,60}$/.test(paymentIntentId)
    ? await Payment.query()
        .where('orderId', order.id)
        .where('stripePaymentIntentId', paymentIntentId)
        .first()
    : null
  if (!payment) {
    throw DomainError.notFound('This payment is not one of this order’s.')
  }
  try {
    await followPaymentIntent(payment, paymentIntentId, actors.stripe(`user:${order.employerId}`))
  } catch (error) {
    throw unavailable(error, 'payment_authentication')
  }
  await payment.refresh()
  return payment
}
