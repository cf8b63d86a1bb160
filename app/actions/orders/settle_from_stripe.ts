import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Order from '#models/order'
import { HELD_STATUSES } from '#models/order'
import { moveOrder } from '#actions/orders/order_state'
import { chargeId, holdExpiry, transferIdOf } from '#actions/orders/authorize_order'
import { stripe } from '#stripe/client'
import { isStripeError } from '#stripe/errors'

/**
 * Brings a locked order in line with its PaymentIntent as Stripe reports it
 * now. Used by webhooks, by reconciliation and when Stripe refuses an action
 * because the state changed behind our back. Forward-only: an order is never
 * moved back (an old event cannot undo a capture).
 */
export async function settleFromPaymentIntent(
  trx: TransactionClientContract,
  order: Order,
  paymentIntent: Stripe.PaymentIntent,
  actor: string
) {
  if (order.stripePaymentIntentId && order.stripePaymentIntentId !== paymentIntent.id) {
    // An earlier attempt's PaymentIntent: it no longer speaks for this order
    return order
  }
  const stripeId = paymentIntent.id

  switch (paymentIntent.status) {
    case 'requires_capture':
      if (order.status === 'pending') {
        return moveOrder(trx, order, 'authorized', {
          actor,
          type: 'order.authorized',
          set: {
            stripePaymentIntentId: stripeId,
            stripeChargeId: chargeId(paymentIntent),
            holdExpiresAt: holdExpiry(paymentIntent),
            failureMessage: null,
          },
          amount: paymentIntent.amount_capturable,
          stripeId,
        })
      }
      return order

    case 'succeeded':
      if (order.status === 'pending' || HELD_STATUSES.includes(order.status)) {
        return moveOrder(trx, order, 'captured', {
          actor,
          type: 'order.captured',
          set: {
            stripePaymentIntentId: stripeId,
            amountCaptured: paymentIntent.amount_received,
            applicationFeeAmount:
              paymentIntent.application_fee_amount ?? order.applicationFeeAmount,
            stripeChargeId: chargeId(paymentIntent) ?? order.stripeChargeId,
            stripeTransferId: transferIdOf(paymentIntent) ?? order.stripeTransferId,
          },
          amount: paymentIntent.amount_received,
          stripeId,
        })
      }
      return order

    case 'canceled': {
      if (order.status === 'pending' || HELD_STATUSES.includes(order.status)) {
        // "automatic" is Stripe releasing an authorization it held for 7 days
        const expired = paymentIntent.cancellation_reason === 'automatic'
        return moveOrder(trx, order, expired ? 'expired' : 'canceled', {
          actor,
          type: expired ? 'order.expired' : 'order.canceled',
          set: {
            stripePaymentIntentId: stripeId,
            cancellationReason: paymentIntent.cancellation_reason ?? null,
          },
          amount: order.amount,
          stripeId,
          message: 'Hold released',
        })
      }
      return order
    }

    case 'requires_payment_method':
      if (order.status === 'pending' && paymentIntent.last_payment_error) {
        const message = paymentIntent.last_payment_error.message ?? 'The card was declined.'
        return moveOrder(trx, order, 'failed', {
          actor,
          type: 'order.authorization_failed',
          set: {
            stripePaymentIntentId: stripeId,
            failureMessage: message,
            failedAt: DateTime.now(),
          },
          stripeId,
          message,
        })
      }
      return order

    default:
      return order
  }
}

/**
 * Stripe refused a capture or a cancel because the PaymentIntent is no longer
 * in the state we have: moved on Stripe (unexpected state), or already done by
 * an earlier run with the same key but other parameters (a re-run of a
 * partial capture with another amount after a crash): Stripe's state wins.
 */
export function changedBehindOurBack(error: unknown) {
  return (
    isStripeError(error) &&
    (error.code === 'payment_intent_unexpected_state' || error.rawType === 'idempotency_error')
  )
}

/**
 * Stripe refused an action because the PaymentIntent changed behind our back
 * (captured or released from the Dashboard, expired): the order follows
 * Stripe, and the caller gets the sentence explaining the refusal. The caller
 * must let the transaction commit before raising it, or the fix is undone.
 */
export async function followStripeAfterRefusal(
  trx: TransactionClientContract,
  order: Order,
  actor: string,
  action: string
) {
  const current = await stripe().paymentIntents.retrieve(order.stripePaymentIntentId!, {
    expand: ['latest_charge'],
  })
  await settleFromPaymentIntent(trx, order, current, actor)
  return `Cannot ${action}: the payment is ${current.status.replaceAll('_', ' ')} on Stripe.`
}
