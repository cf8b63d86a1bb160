import type { DateTime } from 'luxon'
import logger from '@adonisjs/core/services/logger'
import Payment from '#models/payment'
import { actors } from '#domain/actor'
import { businessNow } from '#services/clock'
import { describeStripeError, isStripeError } from '#stripe/errors'
import { followPaymentIntent } from '#actions/stripe_events/follow_payment_intent'

export interface FollowedPayment {
  paymentId: number
  orderId: number | null
  /** The payment's status after looking */
  status: string
  outcome: 'followed' | 'failed'
  message?: string
}

/**
 * Bank debits still processing after the date Stripe was expected to settle
 * them (on Stripe's clock): their PaymentIntent is read from Stripe and
 * recorded, as its webhook would have been (a webhook lost or late does not
 * leave an order waiting). Safe to run concurrently with webhooks: the
 * payment's status only moves forward, under the order's lock.
 */
export async function followDueBankPayments(
  options: { now?: DateTime; actor?: string } = {}
): Promise<FollowedPayment[]> {
  const now = options.now ?? (await businessNow())
  const due = await Payment.query()
    .where('status', 'processing')
    .whereNotNull('stripePaymentIntentId')
    .where((query) => query.whereNull('expectedAt').orWhere('expectedAt', '<=', now.toJSDate()))
    .orderBy('id')
  const actor = actors.system(options.actor ?? 'follow_bank_payments')
  const followed: FollowedPayment[] = []
  for (const payment of due) {
    try {
      await followPaymentIntent(payment, payment.stripePaymentIntentId!, actor)
      await payment.refresh()
      followed.push({
        paymentId: payment.id,
        orderId: payment.orderId,
        status: payment.status,
        outcome: 'followed',
      })
    } catch (error) {
      const message = describeStripeError(error).message
      logger.warn(
        { err: error, paymentId: payment.id },
        'A processing payment could not be followed'
      )
      followed.push({
        paymentId: payment.id,
        orderId: payment.orderId,
        status: payment.status,
        outcome: 'failed',
        message,
      })
    }
  }
  return followed
}

/**
 * When an order's page is opened: its payment, a bank debit still processing
 * after its expected date, is looked up on Stripe, so a person who reloads
 * sees the outcome even when the webhook is late; true when it was (the page
 * is then read again). Stripe not answering leaves the page as it was (the
 * job and the webhook still follow it).
 */
export async function followIfDue(payment: Payment | null): Promise<boolean> {
  if (
    payment?.status !== 'processing' ||
    !payment.stripePaymentIntentId ||
    !payment.expectedAt ||
    payment.expectedAt > (await businessNow())
  ) {
    return false
  }
  try {
    await followPaymentIntent(payment, payment.stripePaymentIntentId!, actors.system('order_page'))
  } catch (error) {
    if (!isStripeError(error)) {
      throw error
    }
    logger.warn({ paymentId: payment.id, err: error }, 'A due bank payment could not be followed')
  }
  return true
}
