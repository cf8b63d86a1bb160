import type Stripe from 'stripe'
import type Order from '#models/order'
import { HELD_STATUSES, type OrderStatus } from '#models/order'
import { ActionError } from '#exceptions/action_error'
import { moveOrder, withLockedOrder } from '#actions/orders/order_state'
import { assertOrderStatus } from '#actions/orders/order_errors'
import { changedBehindOurBack, followStripeAfterRefusal } from '#actions/orders/settle_from_stripe'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { reportStripeError } from '#stripe/errors'

export type CancellationReason = 'duplicate' | 'fraudulent' | 'requested_by_customer' | 'abandoned'

export interface CancelOptions {
  actor: string
  from?: OrderStatus[]
  reason: CancellationReason
  /** "canceled" by a person, "expired" by the hold expiry job */
  to?: 'canceled' | 'expired'
  check?: (order: Order) => void
}

/**
 * Releases the hold on the employer's card (nothing is charged). Under the
 * row lock, with the key "order:<id>:<uuid>:cancel".
 */
export async function cancelOrder(orderId: number, options: CancelOptions): Promise<Order> {
  const result = await withLockedOrder(orderId, async (order, trx) => {
    options.check?.(order)
    assertOrderStatus(order, options.from ?? HELD_STATUSES, 'cancel the order')

    let paymentIntent: Stripe.PaymentIntent
    try {
      paymentIntent = await stripe().paymentIntents.cancel(
        order.stripePaymentIntentId!,
        { cancellation_reason: options.reason },
        { idempotencyKey: idempotencyKey('order', order, 'cancel') }
      )
    } catch (error) {
      const described = reportStripeError(error, { orderId: order.id, operation: 'cancel' })
      if (changedBehindOurBack(error)) {
        return { refusal: await followStripeAfterRefusal(trx, order, options.actor, 'cancel') }
      }
      if (described.isTransient) {
        // Not "nothing was charged": the request may have reached Stripe; the
        // same key makes a retry safe
        throw new ActionError(
          'Stripe did not answer, so the hold may or may not be released yet. Try again: it is released once, however many times it is tried.',
          503
        )
      }
      throw new ActionError(described.message, 409)
    }

    const to = options.to ?? 'canceled'
    return moveOrder(trx, order, to, {
      actor: options.actor,
      type: to === 'expired' ? 'order.expired' : 'order.canceled',
      set: { cancellationReason: options.reason },
      amount: order.amount,
      stripeId: paymentIntent.id,
      message: `Hold released (${options.reason})`,
    })
  })
  if ('refusal' in result) {
    throw new ActionError(result.refusal, 409)
  }
  return result
}
