import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import type Order from '#models/order'
import UserProfile from '#models/user_profile'
import { moveOrder, withLockedOrder } from '#actions/orders/order_state'
import { settleFromPaymentIntent } from '#actions/orders/settle_from_stripe'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { isStripeError, reportStripeError } from '#stripe/errors'

export const AUTHORIZATION_UNKNOWN =
  'We could not reach our payment provider, so we do not know yet whether your card was ' +
  'authorized. Try again: it never places a second hold.'

/** Stripe's authorization validity when the charge does not say */
const AUTHORIZATION_DAYS = 7

/** When Stripe would release the hold of this PaymentIntent's charge */
export function holdExpiry(paymentIntent: Stripe.PaymentIntent) {
  const charge = paymentIntent.latest_charge
  const captureBefore =
    charge && typeof charge === 'object'
      ? charge.payment_method_details?.card?.capture_before
      : undefined
  return captureBefore
    ? DateTime.fromSeconds(captureBefore)
    : DateTime.fromSeconds(paymentIntent.created).plus({ days: AUTHORIZATION_DAYS })
}

export function chargeId(paymentIntent: Stripe.PaymentIntent) {
  const charge = paymentIntent.latest_charge
  return typeof charge === 'string' ? charge : (charge?.id ?? null)
}

/** The destination transfer of a captured PaymentIntent, when its charge is expanded */
export function transferIdOf(paymentIntent: Stripe.PaymentIntent) {
  const charge = paymentIntent.latest_charge
  if (!charge || typeof charge === 'string') {
    return null
  }
  return typeof charge.transfer === 'string' ? charge.transfer : (charge.transfer?.id ?? null)
}

/**
 * The PaymentIntent an earlier attempt made for this order, if Stripe has one
 * (we put the order id in its metadata): the answer to a request whose
 * response never reached us.
 */
async function earlierPaymentIntent(order: Order, customerId: string) {
  const intents = await stripe().paymentIntents.list({ customer: customerId, limit: 100 })
  return (
    intents.data.find(
      (intent) =>
        intent.metadata?.order_id === String(order.id) &&
        intent.created >= order.createdAt.toSeconds() - 60
    ) ?? null
  )
}

/**
 * Places the hold for a pending order: a manual-capture destination charge on
 * the employer's card, confirmed off session. Under the order's row lock, with
 * the key "order:<id>:<uuid>:authorize:<attempt>", so a double submit reuses
 * the same PaymentIntent.
 *
 * `retry` is for an order whose first attempt got no answer: Stripe is asked
 * first whether that attempt made a PaymentIntent (the order follows it);
 * only when it did not is a new attempt made, with a new key (Stripe replays a
 * stored error for a key, and forgets keys after a day).
 */
export async function authorizeOrder(
  orderId: number,
  actor: string,
  options: { retry?: boolean } = {}
): Promise<Order> {
  return withLockedOrder(orderId, async (order, trx) => {
    if (order.status !== 'pending') {
      return order
    }
    const [employer, contractor] = await Promise.all([
      UserProfile.findByOrFail('userId', order.employerId, { client: trx }),
      UserProfile.findByOrFail('userId', order.contractorId, { client: trx }),
    ])

    let paymentIntent: Stripe.PaymentIntent
    try {
      if (options.retry) {
        const earlier = await earlierPaymentIntent(order, employer.stripeId!)
        if (earlier) {
          return settleFromPaymentIntent(trx, order, earlier, actor)
        }
        order.useTransaction(trx)
        order.authorizationAttempts += 1
        await order.save()
      }
      paymentIntent = await stripe().paymentIntents.create(
        {
          amount: order.amount,
          currency: order.currency,
          customer: employer.stripeId!,
          payment_method: order.paymentMethodId!,
          allowed_payment_method_types: ['card'],
          capture_method: 'manual',
          confirm: true,
          off_session: true,
          application_fee_amount: order.applicationFeeAmount,
          transfer_data: { destination: contractor.stripeId! },
          transfer_group: `order_${order.id}`,
          description: `Crewpay order #${order.id}`,
          metadata: {
            order_id: String(order.id),
            employer_id: String(order.employerId),
            contractor_id: String(order.contractorId),
          },
          expand: ['latest_charge'],
        },
        { idempotencyKey: idempotencyKey('order', order, 'authorize', order.authorizationAttempts) }
      )
    } catch (error) {
      const described = reportStripeError(error, { orderId: order.id, operation: 'authorize' })
      if (described.isTransient) {
        // Unknown outcome: the order stays pending; a retry (same key) settles it
        order.useTransaction(trx)
        order.failureMessage = AUTHORIZATION_UNKNOWN
        await order.save()
        return order
      }
      const failedIntent = isStripeError(error) ? error.payment_intent : undefined
      return moveOrder(trx, order, 'failed', {
        actor,
        type: 'order.authorization_failed',
        set: {
          failureMessage: described.message,
          stripePaymentIntentId: failedIntent?.id ?? order.stripePaymentIntentId,
        },
        amount: order.amount,
        stripeId: failedIntent?.id ?? null,
        message: described.message,
      })
    }

    if (paymentIntent.status !== 'requires_capture') {
      const message =
        paymentIntent.status === 'requires_action'
          ? 'This card needs authentication; use another card.'
          : 'The card could not be authorized.'
      return moveOrder(trx, order, 'failed', {
        actor,
        type: 'order.authorization_failed',
        set: { failureMessage: message, stripePaymentIntentId: paymentIntent.id },
        stripeId: paymentIntent.id,
        message,
      })
    }

    return moveOrder(trx, order, 'authorized', {
      actor,
      type: 'order.authorized',
      set: {
        stripePaymentIntentId: paymentIntent.id,
        stripeChargeId: chargeId(paymentIntent),
        holdExpiresAt: holdExpiry(paymentIntent),
        failureMessage: null,
      },
      amount: order.amount,
      stripeId: paymentIntent.id,
    })
  })
}
