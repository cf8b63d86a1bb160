import type Stripe from 'stripe'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Payment from '#models/payment'
import OrderLine from '#models/order_line'
import UserProfile from '#models/user_profile'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { PAYMENT_INTENT_EXPAND } from '#stripe/payment_intents'
import { isStripeError, type DescribedStripeError } from '#stripe/errors'
import type { StripeWrite } from '#stripe/write'
import { lockForOrder } from '#actions/orders/order_lock'
import { confirmationParams } from '#actions/payments/confirmation_params'
import { requestIntentParams } from '#actions/payment_requests/intent_params'
import { movePayment } from '#actions/payments/move_payment'
import {
  followPayment,
  recordPaymentIntent,
  followingStripe,
} from '#actions/payments/record_payment_intent'

/*
|--------------------------------------------------------------------------
| Authorizing (or charging) a payment
|--------------------------------------------------------------------------
|
| The payment row is written pending with its order, then its PaymentIntent
| is created and confirmed with the key "payment:<id>:<uuid>:authorize":
|
| - hold: manual capture, a destination charge to the line's contractor with
|   the line's fee as application fee (captured when the work is approved);
| - charge: automatic capture on the platform, `transfer_group` = the order
|   (each line's money is transferred when the line is approved);
| - destination: a payment request's payment, a destination charge captured
|   at once (app/actions/payment_requests/intent_params.ts).
|
| A retry of a payment whose answer was lost ("Try again", reconciliation)
| first looks on Stripe for a PaymentIntent carrying the payment's id, going
| through every page of the employer's PaymentIntents made since the payment
| was written, and only sends when there is none: never a second hold.
|
*/

export { AUTHORIZATION_UNKNOWN } from '#domain/order_summary'

/**
 * What the code that just wrote a payment already read: its employer's
 * Customer, its lines and their contractors' accounts. Passed along so that
 * sending the payment reads none of it again; a retry (no `known`) reads it.
 */
export interface KnownIntentParts {
  customerId: string
  lines: Pick<OrderLine, 'contractorId' | 'feeAmount'>[]
  /** Stripe account per contractor id */
  destinations: Map<number, string>
}

async function partsOf(payment: Payment): Promise<KnownIntentParts> {
  const [employer, lines] = await Promise.all([
    UserProfile.findByOrFail('userId', payment.employerId),
    payment.orderId ? OrderLine.query().where('orderId', payment.orderId).orderBy('id') : [],
  ])
  const destinations = new Map<number, string>()
  if (payment.flow === 'hold' && lines.length > 0) {
    const contractor = await UserProfile.findByOrFail('userId', lines[0].contractorId)
    destinations.set(lines[0].contractorId, contractor.stripeId!)
  }
  return { customerId: employer.stripeId!, lines, destinations }
}

async function intentParams(
  payment: Payment,
  known?: KnownIntentParts
): Promise<Stripe.PaymentIntentCreateParams> {
  const { customerId, lines, destinations } = known ?? (await partsOf(payment))
  const base: Stripe.PaymentIntentCreateParams = {
    amount: payment.amount,
    currency: payment.currency,
    customer: customerId,
    payment_method: payment.paymentMethodId!,
    allowed_payment_method_types: [payment.methodType],
    confirm: true,
    // Off or on session (3-D Secure), a bank debit's mandate: confirmation_params.ts
    ...(await confirmationParams(payment)),
    description: payment.orderId ? `Crewpay order #${payment.orderId}` : `Crewpay payment`,
    metadata: {
      payment_id: String(payment.id),
      employer_id: String(payment.employerId),
      ...(payment.orderId ? { order_id: String(payment.orderId) } : {}),
    },
    expand: PAYMENT_INTENT_EXPAND,
  }
  if (payment.orderId) {
    base.transfer_group = `order_${payment.orderId}`
  }
  if (payment.flow === 'destination') {
    return requestIntentParams(payment, base)
  }
  if (payment.flow === 'hold') {
    const [line] = lines
    return {
      ...base,
      capture_method: 'manual',
      application_fee_amount: payment.applicationFeeAmount ?? line.feeAmount,
      transfer_data: { destination: destinations.get(line.contractorId)! },
      metadata: { ...base.metadata, contractor_id: String(line.contractorId) },
    }
  }
  return { ...base, capture_method: 'automatic' }
}

/**
 * The PaymentIntent an earlier attempt made for this payment, if Stripe has
 * one: every page of the employer's PaymentIntents created since shortly
 * before the payment was written. First-stage orders carry only `order_id`.
 */
export async function findPaymentIntentOf(payment: Payment) {
  if (payment.stripePaymentIntentId) {
    return stripe().paymentIntents.retrieve(payment.stripePaymentIntentId, {
      expand: PAYMENT_INTENT_EXPAND,
    })
  }
  const employer = await UserProfile.findByOrFail('userId', payment.employerId)
  if (!employer.stripeId) {
    return null
  }
  for await (const candidate of stripe().paymentIntents.list({
    customer: employer.stripeId,
    created: { gte: Math.floor(payment.createdAt.toSeconds()) - 300 },
    limit: 100,
  })) {
    const ours =
      candidate.metadata?.payment_id === String(payment.id) ||
      (!candidate.metadata?.payment_id &&
        payment.orderId !== null &&
        candidate.metadata?.order_id === String(payment.orderId))
    if (ours) {
      return stripe().paymentIntents.retrieve(candidate.id, { expand: PAYMENT_INTENT_EXPAND })
    }
  }
  return null
}

/** Records a refusal (a decline, an invalid request): the payment failed */
async function recordRefusal(
  trx: TransactionClientContract,
  payment: Payment,
  error: DescribedStripeError,
  cause: unknown
) {
  const failedIntent = isStripeError(cause) ? cause.payment_intent : undefined
  const actor = followingStripe({ kind: 'stripe', label: `user:${payment.employerId}` })
  await movePayment(trx, payment, 'fail', actor, {
    set: {
      failureCode: error.declineCode ?? error.code,
      failureMessage: error.message,
      stripePaymentIntentId: failedIntent?.id ?? payment.stripePaymentIntentId,
    },
    amount: payment.amount,
    stripeId: failedIntent?.id ?? null,
    message: error.message,
  })
  await followPayment(trx, payment, actor)
}

export const authorizePayment: StripeWrite<Payment, Stripe.PaymentIntent> = {
  operation: 'authorize',
  label: (payment) => `payment #${payment.id}`,
  key: (payment) => idempotencyKey('payment', payment, 'authorize'),
  async send(payment, key) {
    return stripe().paymentIntents.create(await intentParams(payment), { idempotencyKey: key })
  },
  find: findPaymentIntentOf,
  async lock(trx, payment) {
    await lockForOrder(trx, payment.orderId)
    const row = await Payment.query({ client: trx }).where('id', payment.id).forUpdate().first()
    return row?.status === 'pending' ? row : null
  },
  async record(trx, payment, paymentIntent) {
    await recordPaymentIntent(trx, payment, paymentIntent, {
      kind: 'stripe',
      label: `user:${payment.employerId}`,
    })
  },
  refuse: recordRefusal,
}

/** The same write, sending with the parts its caller has just read (a fresh placement) */
export function authorizePaymentWith(
  known: KnownIntentParts
): StripeWrite<Payment, Stripe.PaymentIntent> {
  return {
    ...authorizePayment,
    async send(payment, key) {
      return stripe().paymentIntents.create(await intentParams(payment, known), {
        idempotencyKey: key,
      })
    },
  }
}
