import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import Payment from '#models/payment'
import PaymentRequest from '#models/payment_request'
import type User from '#models/user'
import { actors, type Actor } from '#domain/actor'
import { DomainError } from '#exceptions/domain_error'
import { AUTHENTICATION_ABANDONED_AFTER_MINUTES } from '#domain/payment_request_summary'
import { businessNow } from '#services/clock'
import { isRecordId } from '#services/record_id'
import { stripe } from '#stripe/client'
import { isStripeError } from '#stripe/errors'
import { sendToStripe, type WriteOutcome } from '#stripe/write'
import { requestPaymentAction, sendPaymentAction } from '#actions/payments/payment_actions'
import { followPaymentIntent } from '#actions/stripe_events/follow_payment_intent'
import { bankPageOf, unavailable } from '#actions/payments/authenticate_payment'
import { lockRequest } from '#actions/payment_requests/request_parts'
import { requestLinkPath } from '#actions/payment_requests/request_link'

/*
|--------------------------------------------------------------------------
| 3-D Secure for a payment request's payment
|--------------------------------------------------------------------------
|
| The employer pays from the link on session with a return_url
| (confirmation_params.ts). When their bank asks for authentication the
| payment stays `requires_action` and keeps its amount reserved (it counts
| in flight: a second tab cannot pay it again). The pay page links to
| /payments/:id/authenticate, which sends them to the bank's page (a link,
| not a form's redirect: the pages' CSP has `form-action 'self'`); the bank
| sends them back to /payments/:id/authenticated, where the payment follows
| its PaymentIntent read from Stripe (never the URL's query) through the same
| recorder as webhooks, so the receipt is mailed once whoever comes first.
|
| A payment left waiting is canceled, which frees its amount: by the
| employer from the pay page ("Cancel it and pay another way"), or by the
| send_pending_writes job once it has waited
| AUTHENTICATION_ABANDONED_AFTER_MINUTES. The cancel is written on the
| payment first and sent after commit (the one write protocol); Stripe's
| answer decides: a bank that confirmed meanwhile wins, and the payment
| counts as paid.
|
*/

/** The employer's own payment of a payment request; anyone else's (or none) is a 404 */
export async function findEmployerRequestPayment(user: User, id: unknown) {
  const paymentId = Number(id)
  const payment = isRecordId(paymentId) ? await Payment.find(paymentId) : null
  if (!payment || payment.paymentRequestId === null || payment.employerId !== user.id) {
    throw DomainError.notFound('Payment not found.')
  }
  return payment
}

/** Where the employer goes back to: the request's link (its page) */
export async function payPageOf(payment: Payment) {
  const request = await PaymentRequest.findOrFail(payment.paymentRequestId)
  return { request, path: requestLinkPath(request) ?? '/' }
}

/**
 * Where to send the employer to authenticate, or null when the payment is
 * not waiting for it any more (what Stripe says is recorded on the way).
 */
export async function requestPaymentAuthenticationUrl(payment: Payment): Promise<string | null> {
  return bankPageOf(
    payment,
    'This payment cannot be authenticated from here: cancel it and pay another way.'
  )
}

/** The payment follows its PaymentIntent as Stripe has it now */
async function followRequestPaymentIntent(payment: Payment) {
  try {
    await followPaymentIntent(
      payment,
      payment.stripePaymentIntentId!,
      actors.stripe(`user:${payment.employerId}`)
    )
  } catch (error) {
    throw unavailable(error, 'request_payment_authentication')
  }
  await payment.refresh()
  return payment
}

/**
 * The employer is back from the bank's page (or reloads it): the payment
 * follows its own PaymentIntent, read from Stripe; the URL's parameters are
 * ignored. A payment that never reached Stripe is left to its retry.
 */
export async function finishRequestPaymentAuthentication(payment: Payment) {
  if (!payment.stripePaymentIntentId) {
    return payment
  }
  return followRequestPaymentIntent(payment)
}

/**
 * Cancels a payment still waiting for the employer's bank: the cancel is
 * written under the request's lock, then sent. Returns null when the
 * payment is not waiting any more (nothing written).
 */
export async function cancelWaitingAuthentication(
  payment: Payment,
  actor: Actor,
  reason: 'abandoned' | 'requested_by_customer'
): Promise<WriteOutcome<Payment> | null> {
  const written = await db.transaction(async (trx) => {
    await lockRequest(trx, payment.paymentRequestId!)
    const locked = await Payment.query({ client: trx })
      .where('id', payment.id)
      .forUpdate()
      .firstOrFail()
    if (locked.status !== 'requires_action' || !locked.stripePaymentIntentId) {
      return null
    }
    // Already being canceled (another click, the job): sent again below with its key
    if (locked.pendingAction !== 'cancel') {
      await requestPaymentAction(trx, locked, 'cancel', actor, { reason })
    }
    return locked
  })
  if (!written) {
    return null
  }
  const outcome = await sendToStripe(sendPaymentAction, written, {
    writtenAt: written.pendingActionAt ?? undefined,
  })
  await payment.refresh()
  return outcome
}

/**
 * For the send_pending_writes job: request payments left waiting for the
 * bank longer than AUTHENTICATION_ABANDONED_AFTER_MINUTES are canceled; a
 * cancel written before `settledBefore` that got no answer is sent again
 * with its key. How long one has waited is Stripe's: the PaymentIntent's
 * `created` against the business clock (rows keep real time, and the
 * sandbox's clock may be ahead). One that moved on Stripe (a lost webhook)
 * is recorded instead.
 */
export async function cancelAbandonedAuthentications(settledBefore: Date) {
  const waiting = await Payment.query()
    .whereNotNull('paymentRequestId')
    .where('status', 'requires_action')
    .whereNotNull('stripePaymentIntentId')
    .orderBy('id')
  if (waiting.length === 0) {
    // Nothing waiting: no call to Stripe (the job runs every 5 minutes)
    return 0
  }
  const now = await businessNow()
  const cutoff = now.minus({ minutes: AUTHENTICATION_ABANDONED_AFTER_MINUTES }).toSeconds()
  let canceled = 0
  for (const payment of waiting) {
    try {
      const unanswered =
        payment.pendingAction === 'cancel' &&
        payment.pendingActionAt !== null &&
        payment.pendingActionAt.toJSDate() < settledBefore
      if (!unanswered) {
        const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
        if (paymentIntent.status !== 'requires_action') {
          await followRequestPaymentIntent(payment)
          continue
        }
        if (paymentIntent.created > cutoff || payment.pendingAction) {
          continue
        }
      }
      const outcome = await cancelWaitingAuthentication(
        payment,
        actors.system('send_pending_writes'),
        'abandoned'
      )
      if (outcome) {
        canceled += 1
      }
    } catch (error) {
      // Stripe not answering for one payment: the next run tries again
      if (!isStripeError(error) && !(error instanceof DomainError)) {
        throw error
      }
      logger.warn(
        { paymentId: payment.id, err: error },
        'A payment waiting for 3-D Secure could not be checked'
      )
    }
  }
  return canceled
}
