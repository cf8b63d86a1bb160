import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Payment, {
  DEAD_STATUSES,
  PAYMENT_REQUESTS,
  paymentVerbFromStripe,
  type PaymentVerb,
} from '#models/payment'
import OrderLine from '#models/order_line'
import Transfer from '#models/transfer'
import Refund from '#models/refund'
import type { Actor } from '#domain/actor'
import { movePayment } from '#actions/payments/move_payment'
import { moveLine } from '#actions/orders/move_line'
import { openLineTransfer, recordDestinationTransfer } from '#actions/transfers/line_transfer'
import { openLineRefund } from '#actions/refunds/refund_records'
import { bankFailureMessage } from '#actions/payments/bank_failures'
import { tellPaymentFailed } from '#actions/payments/payment_failure_notices'
import {
  capturedAmountRefunded,
  chargeIdOf,
  chargeOf,
  destinationTransferIdOf,
  holdExpiry,
  stripeFeeOf,
} from '#stripe/payment_intents'
import { formatAmount } from '#money/amounts'
import { mailPaymentChange } from '#actions/orders/order_mail'
import { followRequestPayment } from '#actions/payment_requests/follow_request_payment'

/*
|--------------------------------------------------------------------------
| A payment follows its PaymentIntent
|--------------------------------------------------------------------------
|
| The one place where what Stripe says about a PaymentIntent is recorded:
| Stripe's answer to our own request, a webhook, reconciliation. The status
| moves through the payment's state table, forward only, and what follows
| for the lines (the money flows of DESIGN.md) is decided here too:
|
| - hold: captured → the line is approved and its destination transfer
|   recorded; released, expired or failed → the line is canceled; a hold
|   whose line was declined or canceled meanwhile → its release is asked;
| - charge: succeeded → each approved line's transfer and each declined or
|   canceled line's refund are written pending (sent after commit by
|   `driveOrder`); failed or canceled → the lines are canceled.
| - destination (a payment request's payment; it has no lines): succeeded →
|   its destination transfer is recorded and the receipts mailed; the
|   request's status follows from its payments (followRequestPayment).
|
*/

/** Stripe's part of a state change: the table's `stripe` actor, audited as who caused it */
export function followingStripe(actor: Actor): Actor {
  return { kind: 'stripe', label: actor.label }
}

/** Crewpay's own consequences of a change: the `system` actor, audited as who caused it */
export function asSystem(actor: Actor): Actor {
  return { kind: 'system', label: actor.label }
}

/** The business days a bank debit usually takes when Stripe does not say */
const BANK_PROCESSING_DAYS = 4

export function businessDaysAfter(start: DateTime, days: number) {
  let date = start
  let left = days
  while (left > 0) {
    date = date.plus({ days: 1 })
    if (date.weekday <= 5) {
      left -= 1
    }
  }
  return date
}

/**
 * Records a PaymentIntent (retrieved with PAYMENT_INTENT_EXPAND) on its
 * locked payment (the order locked first by the caller), and what follows
 * for the lines. Returns whether the payment's status changed.
 */
export async function recordPaymentIntent(
  trx: TransactionClientContract,
  payment: Payment,
  paymentIntent: Stripe.PaymentIntent,
  actor: Actor
) {
  if (payment.stripePaymentIntentId && payment.stripePaymentIntentId !== paymentIntent.id) {
    // Another payment's PaymentIntent: it does not speak for this one
    return false
  }
  const verb = paymentVerbFromStripe(paymentIntent)
  const set: Partial<Payment> = { stripePaymentIntentId: paymentIntent.id }
  const chargeId = chargeIdOf(paymentIntent)
  if (chargeId && !payment.stripeChargeId) {
    set.stripeChargeId = chargeId
  }
  if (paymentIntent.status === 'requires_capture') {
    set.captureBefore = holdExpiry(paymentIntent)
  }
  if (paymentIntent.amount_received > payment.amountCaptured) {
    set.amountCaptured = paymentIntent.amount_received
  }
  // A destination charge's fee (hold flow, and a payment request's destination flow)
  if (payment.flow !== 'charge' && typeof paymentIntent.application_fee_amount === 'number') {
    set.applicationFeeAmount = paymentIntent.application_fee_amount
  }
  const stripeFee = stripeFeeOf(paymentIntent)
  if (stripeFee !== null) {
    set.stripeFee = stripeFee
  }
  if (verb === 'fail' && paymentIntent.last_payment_error) {
    set.failureCode =
      paymentIntent.last_payment_error.decline_code ?? paymentIntent.last_payment_error.code ?? null
    set.failureMessage = failureMessageOf(payment, paymentIntent.last_payment_error)
  }
  if (verb === 'cancel') {
    set.cancellationReason = paymentIntent.cancellation_reason ?? payment.pendingActionReason
  }
  if (verb === 'process' && !payment.expectedAt) {
    // Counted on Stripe's clock from when the debit started (the sandbox's may run ahead)
    const started = chargeOf(paymentIntent)?.created ?? paymentIntent.created
    set.expectedAt = businessDaysAfter(
      DateTime.fromSeconds(started, { zone: 'utc' }),
      BANK_PROCESSING_DAYS
    )
  }

  let moved = false
  if (verb) {
    moved = await movePayment(trx, payment, verb, followingStripe(actor), {
      set,
      amount: amountOf(verb, paymentIntent),
      stripeId: paymentIntent.id,
      message: messageOf(verb, payment, paymentIntent, set),
    })
  } else {
    payment.useTransaction(trx)
    payment.merge(set)
    await payment.save()
  }
  await clearSettledAction(trx, payment)

  const charge = chargeOf(paymentIntent)
  if (charge && payment.isCaptured) {
    await syncRefundedTotal(trx, payment, capturedAmountRefunded(charge), actor, charge.id)
  }
  // The lines as followPayment read and moved them: the mail reads them no second time
  const lines = await followPayment(trx, payment, actor, paymentIntent)
  await mailPaymentChange(trx, payment, paymentIntent, lines)
  return moved
}

function amountOf(verb: PaymentVerb, paymentIntent: Stripe.PaymentIntent) {
  switch (verb) {
    case 'authorize':
      return paymentIntent.amount_capturable
    case 'succeed':
      return paymentIntent.amount_received
    case 'process':
    case 'fail':
    case 'cancel':
    case 'require_action':
      return paymentIntent.amount
    default:
      return null
  }
}

function messageOf(
  verb: PaymentVerb,
  payment: Payment,
  paymentIntent: Stripe.PaymentIntent,
  set: Partial<Payment>
) {
  switch (verb) {
    case 'fail':
      return set.failureMessage ?? null
    case 'cancel':
      return paymentIntent.cancellation_reason === 'automatic'
        ? 'Stripe released the authorization when it expired'
        : payment.flow === 'hold'
          ? 'Hold released'
          : 'Payment canceled'
    case 'require_action':
      return 'The bank asks the employer to authenticate'
    default:
      return null
  }
}

function failureMessageOf(payment: Payment, error: Stripe.PaymentIntent.LastPaymentError) {
  if (payment.methodType === 'us_bank_account') {
    return bankFailureMessage(error)
  }
  return error.message ?? 'The card was declined.'
}

/** A capture or cancel that Stripe's state shows done (or no longer possible) is over */
async function clearSettledAction(trx: TransactionClientContract, payment: Payment) {
  if (!payment.pendingAction) {
    return
  }
  if (PAYMENT_REQUESTS.target(payment.status, payment.pendingAction) !== null) {
    return
  }
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
}

/**
 * Sets a captured payment's refunded total from Stripe's charge (it only
 * grows, so a stale event cannot lower it), and its status: partially
 * refunded, or refunded once everything captured is back.
 */
export async function syncRefundedTotal(
  trx: TransactionClientContract,
  payment: Payment,
  amountRefunded: number,
  actor: Actor,
  stripeId: string | null
) {
  if (!payment.isCaptured || amountRefunded <= payment.amountRefunded) {
    return false
  }
  const refunded = Math.min(amountRefunded, payment.amountCaptured)
  return movePayment(
    trx,
    payment,
    refunded >= payment.amountCaptured ? 'refund_fully' : 'refund_partly',
    followingStripe(actor),
    {
      set: { amountRefunded: refunded },
      amount: refunded - payment.amountRefunded,
      stripeId,
      message:
        `Refunded in total: ${formatAmount(refunded, payment.currency)} of ` +
        formatAmount(payment.amountCaptured, payment.currency),
    }
  )
}

/**
 * What a payment's status means for its order's lines (the money flows). The
 * order is locked by the caller. Writes pending transfers and refunds, which
 * `driveOrder` sends after commit.
 */
export async function followPayment(
  trx: TransactionClientContract,
  payment: Payment,
  actor: Actor,
  paymentIntent?: Stripe.PaymentIntent
) {
  if (payment.paymentRequestId !== null) {
    return followRequestPayment(trx, payment, actor, paymentIntent)
  }
  if (payment.orderId === null) {
    return
  }
  const lines = await OrderLine.query({ client: trx })
    .where('orderId', payment.orderId)
    .orderBy('id')
  const system = asSystem(actor)

  if (DEAD_STATUSES.includes(payment.status)) {
    const live = await Payment.query({ client: trx })
      .where('orderId', payment.orderId)
      .whereNotIn('status', DEAD_STATUSES)
      .first()
    if (live) {
      // Another payment now pays for these lines
      return lines
    }
    const transfers = await Transfer.query({ client: trx })
      .whereIn(
        'orderLineId',
        lines.map((line) => line.id)
      )
      .select('orderLineId')
    const paidOut = new Set(transfers.map((transfer) => transfer.orderLineId))
    const why =
      payment.status === 'failed'
        ? `The payment failed${payment.failureMessage ? `: ${payment.failureMessage}` : ''}`
        : payment.cancellationReason === 'automatic'
          ? 'The hold on the card expired'
          : payment.cancellationReason === 'abandoned'
            ? 'The hold was released before it expired: the work was not delivered in time'
            : 'The payment was canceled'
    for (const line of lines) {
      if (line.isOpen || (line.status === 'approved' && !paidOut.has(line.id))) {
        await moveLine(trx, line, 'cancel', system, { message: why })
      }
    }
    // A bank debit failing days later: both parties are told by mail
    await tellPaymentFailed(trx, payment, lines)
    return lines
  }

  if (payment.flow === 'hold') {
    const [line] = lines
    if (!line) {
      return lines
    }
    if (payment.isCaptured) {
      if (line.isOpen) {
        await moveLine(trx, line, 'approve', system, {
          message: 'The payment was captured',
          amount: payment.amountCaptured,
          currency: payment.currency,
        })
      }
      const transferId = paymentIntent ? destinationTransferIdOf(paymentIntent) : null
      if (transferId) {
        await recordDestinationTransfer(
          trx,
          payment,
          line,
          transferId,
          payment.amountCaptured,
          actor
        )
      }
    } else if (payment.status === 'authorized' && !line.isOpen && !payment.pendingAction) {
      // The line was declined or canceled before the hold was known: release it
      const { requestPaymentAction } = await import('#actions/payments/payment_actions')
      await requestPaymentAction(trx, payment, 'cancel', system, {
        reason: line.status === 'declined' ? 'abandoned' : 'requested_by_customer',
      })
    }
    return lines
  }

  // charge flow
  if (!payment.isCaptured) {
    return lines
  }
  for (const line of lines) {
    if (line.status === 'approved') {
      await openLineTransfer(trx, payment, line, actor)
    } else if (line.status === 'declined' || line.status === 'canceled') {
      const refunded = await Refund.query({ client: trx })
        .where('orderLineId', line.id)
        .where('cause', 'line_canceled')
        .whereNot('status', 'failed')
        .first()
      if (!refunded) {
        await openLineRefund(trx, payment, line, actor)
      }
    }
  }
  return lines
}
