import { DateTime } from 'luxon'
import type Stripe from 'stripe'

/*
| Reading a PaymentIntent (retrieved with its latest charge expanded): the
| fields Crewpay records on its payment.
*/

/** What to expand when a PaymentIntent is read to be recorded */
export const PAYMENT_INTENT_EXPAND = ['latest_charge.balance_transaction']

/** Stripe's authorization validity when the charge does not say */
const AUTHORIZATION_DAYS = 7

export function chargeOf(paymentIntent: Stripe.PaymentIntent): Stripe.Charge | null {
  const charge = paymentIntent.latest_charge
  return charge && typeof charge === 'object' ? charge : null
}

export function chargeIdOf(paymentIntent: Stripe.PaymentIntent) {
  const charge = paymentIntent.latest_charge
  return typeof charge === 'string' ? charge : (charge?.id ?? null)
}

/** When Stripe would release the hold of this PaymentIntent's charge */
export function holdExpiry(paymentIntent: Stripe.PaymentIntent) {
  const captureBefore = chargeOf(paymentIntent)?.payment_method_details?.card?.capture_before
  return captureBefore
    ? DateTime.fromSeconds(captureBefore)
    : DateTime.fromSeconds(paymentIntent.created).plus({ days: AUTHORIZATION_DAYS })
}

/** The destination transfer Stripe made when the charge was captured */
export function destinationTransferIdOf(paymentIntent: Stripe.PaymentIntent) {
  const charge = chargeOf(paymentIntent)
  if (!charge?.transfer) {
    return null
  }
  return typeof charge.transfer === 'string' ? charge.transfer : charge.transfer.id
}

/** Stripe's processing fee on the charge, when its balance transaction is expanded */
export function stripeFeeOf(paymentIntent: Stripe.PaymentIntent) {
  const transaction = chargeOf(paymentIntent)?.balance_transaction
  return transaction && typeof transaction === 'object' ? transaction.fee : null
}

/**
 * What has been refunded of the money a charge actually captured. After a
 * partial capture Stripe counts the released (never captured) remainder in
 * `charge.amount_refunded` too (the sandbox does; the fact sheet marks it
 * UNCONFIRMED for Stripe), so that remainder is taken off.
 */
export function capturedAmountRefunded(
  charge: Pick<Stripe.Charge, 'amount' | 'amount_captured' | 'amount_refunded' | 'captured'>
) {
  if (!charge.captured) {
    return 0
  }
  const released = charge.amount - charge.amount_captured
  return Math.max(0, charge.amount_refunded - released)
}
