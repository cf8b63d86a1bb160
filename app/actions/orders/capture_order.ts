import type Stripe from 'stripe'
import type Order from '#models/order'
import { HELD_STATUSES, type OrderStatus } from '#models/order'
import { ActionError } from '#exceptions/action_error'
import { moveOrder, withLockedOrder } from '#actions/orders/order_state'
import { assertOrderStatus } from '#actions/orders/order_errors'
import { orderFee } from '#actions/orders/order_fee'
import { chargeId, transferIdOf } from '#actions/orders/authorize_order'
import { changedBehindOurBack, followStripeAfterRefusal } from '#actions/orders/settle_from_stripe'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { reportStripeError } from '#stripe/errors'
import { formatAmount } from '#money/amounts'

export interface CaptureOptions {
  actor: string
  /** States the caller may capture from (approval: delivered; admins: any held state) */
  from?: OrderStatus[]
  /** Partial capture in minor units; the rest of the hold is released */
  amount?: number
  /** Runs under the row lock before Stripe is called (party checks) */
  check?: (order: Order) => void
}

/**
 * What capturing an order would take: the amount (the whole hold when not
 * given) and the platform fee on it (recomputed for a partial capture). Throws
 * when the order cannot be captured from its state or for that amount. Shared
 * by the capture and the console's confirmation.
 */
export async function previewCapture(
  order: Order,
  options: Pick<CaptureOptions, 'from' | 'amount'>
) {
  assertOrderStatus(order, options.from ?? HELD_STATUSES, 'capture the payment')
  const amount = options.amount ?? order.amount
  if (amount <= 0) {
    throw new ActionError('The amount to capture must be more than zero.', 422)
  }
  if (amount > order.amount) {
    throw new ActionError(
      `Cannot capture ${formatAmount(amount, order.currency)}: the hold on order #${order.id} ` +
        `is ${formatAmount(order.amount, order.currency)}.`,
      422
    )
  }
  const fee =
    amount === order.amount
      ? order.applicationFeeAmount
      : await orderFee(order.contractorId, amount)
  return { amount, fee }
}

/**
 * Captures a held order: the money moves, the contractor receives the amount
 * less the platform fee. Once per order: under the row lock, with the key
 * "order:<id>:<uuid>:capture". A partial capture recomputes the fee on the
 * captured amount with the same rule.
 */
export async function captureOrder(orderId: number, options: CaptureOptions): Promise<Order> {
  const result = await withLockedOrder(orderId, async (order, trx) => {
    options.check?.(order)
    const { amount, fee } = await previewCapture(order, options)

    let paymentIntent: Stripe.PaymentIntent
    try {
      paymentIntent = await stripe().paymentIntents.capture(
        order.stripePaymentIntentId!,
        {
          ...(amount < order.amount
            ? { amount_to_capture: amount, application_fee_amount: fee }
            : {}),
          expand: ['latest_charge'],
        },
        { idempotencyKey: idempotencyKey('order', order, 'capture') }
      )
    } catch (error) {
      const described = reportStripeError(error, { orderId: order.id, operation: 'capture' })
      if (changedBehindOurBack(error)) {
        return { refusal: await followStripeAfterRefusal(trx, order, options.actor, 'capture') }
      }
      if (described.isTransient) {
        // Not "nothing was charged": the request may have reached Stripe; the
        // same key makes a retry safe
        throw new ActionError(
          'Stripe did not answer, so the capture may or may not have happened. Try again: it happens once, however many times it is tried.',
          503
        )
      }
      throw new ActionError(described.message, 409)
    }

    return moveOrder(trx, order, 'captured', {
      actor: options.actor,
      type: 'order.captured',
      set: {
        amountCaptured: paymentIntent.amount_received,
        applicationFeeAmount: fee,
        stripeChargeId: chargeId(paymentIntent) ?? order.stripeChargeId,
        stripeTransferId: transferIdOf(paymentIntent),
      },
      amount: paymentIntent.amount_received,
      stripeId: paymentIntent.id,
    })
  })
  if ('refusal' in result) {
    throw new ActionError(result.refusal, 409)
  }
  return result
}
