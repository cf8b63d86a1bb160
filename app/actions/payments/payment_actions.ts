import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Payment, { PAYMENT_REQUESTS, type PaymentRequest } from '#models/payment'
import type { Actor } from '#domain/actor'
import { DomainError } from '#exceptions/domain_error'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount } from '#money/amounts'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { isStripeError } from '#stripe/errors'
import { PAYMENT_INTENT_EXPAND } from '#stripe/payment_intents'
import type { StripeWrite } from '#stripe/write'
import { lockForPayer } from '#actions/orders/order_lock'
import { recordPaymentIntent } from '#actions/payments/record_payment_intent'

/*
|--------------------------------------------------------------------------
| Capturing or releasing a payment
|--------------------------------------------------------------------------
|
| A capture or a cancel is written on the payment first (`pending_action`,
| with its amount, fee and reason), under the order's lock, then sent with
| the key "payment:<id>:<uuid>:capture|cancel". A payment has at most one
| such action at a time, and each is sent once: asking again while it is
| pending changes nothing, and a second capture can never be made.
|
*/

export interface ActionOptions {
  /** Partial capture, minor units (the rest of the hold is released) */
  amount?: number
  /** The application fee of a partial capture */
  fee?: number
  /** Cancellation reason sent to Stripe */
  reason?: string
}

/**
 * Writes a capture or cancel on a locked payment. Returns false when the same
 * action was already pending (another click, a re-run); refuses another
 * action while one is pending, and what the payment's request table does not
 * allow.
 */
export async function requestPaymentAction(
  trx: TransactionClientContract,
  payment: Payment,
  action: PaymentRequest,
  actor: Actor,
  options: ActionOptions = {}
) {
  if (payment.pendingAction === action) {
    return false
  }
  if (payment.pendingAction) {
    throw DomainError.conflict(
      `A ${payment.pendingAction} of this payment is being sent to Stripe; try again in a moment.`
    )
  }
  PAYMENT_REQUESTS.next(payment.status, action, actor.kind)
  payment.useTransaction(trx)
  payment.merge({
    pendingAction: action,
    pendingActionAmount: options.amount ?? null,
    pendingActionFee: options.fee ?? null,
    pendingActionReason: options.reason ?? null,
    pendingActionActor: actor.label,
    pendingActionAt: DateTime.now(),
  })
  await payment.save()
  await recordPaymentEvent(trx, {
    orderId: payment.orderId,
    paymentRequestId: payment.paymentRequestId,
    paymentId: payment.id,
    actor: actor.label,
    type: `payment.${action}_requested`,
    fromStatus: payment.status,
    toStatus: payment.status,
    amount: options.amount ?? payment.amount,
    currency: payment.currency,
    message:
      action === 'capture' && options.amount && options.amount < payment.amount
        ? `Partial capture of ${formatAmount(options.amount, payment.currency)}`
        : (options.reason ?? null),
  })
  return true
}

export const sendPaymentAction: StripeWrite<Payment, Stripe.PaymentIntent> = {
  operation: 'payment_action',
  label: (payment) => `${payment.pendingAction} of payment #${payment.id}`,
  key: (payment) => idempotencyKey('payment', payment, payment.pendingAction!),
  async send(payment, key) {
    try {
      if (payment.pendingAction === 'capture') {
        const partial = payment.pendingActionAmount !== null
        return await stripe().paymentIntents.capture(
          payment.stripePaymentIntentId!,
          {
            ...(partial
              ? {
                  amount_to_capture: payment.pendingActionAmount!,
                  ...(payment.pendingActionFee !== null
                    ? { application_fee_amount: payment.pendingActionFee }
                    : {}),
                }
              : {}),
            expand: PAYMENT_INTENT_EXPAND,
          },
          { idempotencyKey: key }
        )
      }
      return await stripe().paymentIntents.cancel(
        payment.stripePaymentIntentId!,
        {
          ...(payment.pendingActionReason
            ? {
                cancellation_reason:
                  payment.pendingActionReason as Stripe.PaymentIntentCancelParams.CancellationReason,
              }
            : {}),
          expand: PAYMENT_INTENT_EXPAND,
        },
        { idempotencyKey: key }
      )
    } catch (error) {
      if (isStripeError(error) && error.code === 'payment_intent_unexpected_state') {
        // Moved on Stripe (captured or released elsewhere, expired): Stripe's state wins
        return stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!, {
          expand: PAYMENT_INTENT_EXPAND,
        })
      }
      throw error
    }
  },
  async find(payment) {
    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!, {
      expand: PAYMENT_INTENT_EXPAND,
    })
    // Still held (or, for a payment request's, still waiting for the bank):
    // the capture or cancel never happened
    return ['requires_capture', 'requires_action'].includes(paymentIntent.status)
      ? null
      : paymentIntent
  },
  async lock(trx, payment) {
    await lockForPayer(trx, payment)
    const row = await Payment.query({ client: trx }).where('id', payment.id).forUpdate().first()
    return row && row.pendingAction === payment.pendingAction ? row : null
  },
  async record(trx, payment, paymentIntent) {
    await recordPaymentIntent(trx, payment, paymentIntent, {
      kind: 'stripe',
      label: payment.pendingActionActor ?? 'stripe',
    })
  },
  async refuse(trx, payment, error) {
    const action = payment.pendingAction!
    const actor = payment.pendingActionActor ?? 'stripe'
    payment.useTransaction(trx)
    payment.merge({
      pendingAction: null,
      pendingActionAmount: null,
      pendingActionFee: null,
      pendingActionReason: null,
      pendingActionActor: null,
      pendingActionAt: null,
    })
    await payment.save()
    await recordPaymentEvent(trx, {
      orderId: payment.orderId,
      paymentRequestId: payment.paymentRequestId,
      paymentId: payment.id,
      actor,
      type: `payment.${action}_refused`,
      fromStatus: payment.status,
      toStatus: payment.status,
      message: error.message,
    })
  },
}
