import type Stripe from 'stripe'
import db from '@adonisjs/lucid/services/db'
import Payment from '#models/payment'
import Refund from '#models/refund'
import { actors } from '#domain/actor'
import { stripe } from '#stripe/client'
import { capturedAmountRefunded } from '#stripe/payment_intents'
import { lockForPayer } from '#actions/orders/order_lock'
import { syncRefundedTotal } from '#actions/payments/record_payment_intent'
import { findRefundOnStripe, recordStripeRefund } from '#actions/refunds/refund_records'
import { findPaymentForCharge } from '#actions/stripe_events/find_payment'
import { followDestinationReversals } from '#actions/transfers/destination_reversals'

/**
 * charge.refunded: the payment's refunded total follows the charge (refunds
 * made from the console arrive here too, and refunds made on Stripe's
 * Dashboard), and our own refunds still pending (their answer was lost)
 * take Stripe's outcome, as they would have from the answer. Releasing a
 * hold also "refunds" the uncaptured charge: nothing to do then; nor does
 * the remainder a partial capture released.
 */
export default async function onChargeRefunded(event: Stripe.Event, actor: string) {
  const charge = event.data.object as Stripe.Charge
  if (!charge.captured) {
    return
  }
  const payment = await findPaymentForCharge(charge.id, charge.payment_intent)
  if (!payment) {
    return
  }
  // A destination charge's transfer, reversed with the refund (read before any lock)
  const transfer =
    payment.flow !== 'charge' && typeof charge.transfer === 'string'
      ? await stripe().transfers.retrieve(charge.transfer)
      : null
  await db.transaction(async (trx) => {
    await lockForPayer(trx, payment)
    const locked = await Payment.query({ client: trx })
      .where('id', payment.id)
      .forUpdate()
      .firstOrFail()
    await syncRefundedTotal(
      trx,
      locked,
      capturedAmountRefunded(charge),
      actors.stripe(actor),
      charge.id
    )
    if (transfer) {
      await followDestinationReversals(trx, locked, transfer, actors.stripe(actor).label)
    }
  })
  await settlePendingRefunds(payment, charge, actor)
}

/** Our pending refunds Stripe has made: recorded (read outside any lock, recorded under it) */
async function settlePendingRefunds(payment: Payment, charge: Stripe.Charge, actor: string) {
  const pending = await Refund.query().where('paymentId', payment.id).where('status', 'pending')
  if (pending.length === 0 || !payment.stripePaymentIntentId) {
    return
  }
  const onStripe: Stripe.Refund[] = []
  for await (const refund of stripe().refunds.list({
    payment_intent: payment.stripePaymentIntentId,
    limit: 100,
  })) {
    onStripe.push(refund)
  }
  for (const row of pending) {
    const match = await findRefundOnStripe(payment, row, onStripe)
    if (!match) {
      continue
    }
    await db.transaction(async (trx) => {
      await lockForPayer(trx, payment)
      const locked = await Refund.query({ client: trx }).where('id', row.id).forUpdate().first()
      if (locked?.status === 'pending') {
        await recordStripeRefund(trx, locked, match, charge, actor)
      }
    })
  }
}
