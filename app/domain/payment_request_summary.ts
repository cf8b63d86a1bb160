import type { DateTime } from 'luxon'
import type PaymentRequest from '#models/payment_request'
import type Payment from '#models/payment'
import { CAPTURED_STATUSES, DEAD_STATUSES, type PaymentStatus } from '#models/payment'
import { formatAmount } from '#money/amounts'
import type { StatusView, Viewer } from '#domain/order_summary'

/*
|--------------------------------------------------------------------------
| A payment request's status and figures, derived from its payments
|--------------------------------------------------------------------------
|
| The one place that says how much of a request is paid, how much is on its
| way, what is left to pay, and its status in plain words. Pages, mail, the
| console and the payment decision (under the request's lock) all use it.
|
| - paid: what succeeded payments captured (a refund is shown beside it but
|   does not reopen the request: it gives money back, it does not ask for it
|   again);
| - in flight: payments sent and not settled (pending, requires action,
|   processing): they count against what can be paid now, not as paid; a
|   failed one no longer counts, so the balance reopens. A card payment
|   waiting for the employer's bank (3-D Secure, `requires_action`) reserves
|   its amount too, so a second tab cannot pay it again; one left waiting is
|   canceled after AUTHENTICATION_ABANDONED_AFTER_MINUTES (or by the
|   employer), which frees it;
| - balance due: amount − paid − in flight, what can be paid now.
|
*/

/**
 * A card payment left waiting for the employer's bank this long is canceled
 * (the send_pending_writes job), which frees the amount it reserved. Banks'
 * challenges expire in minutes; an hour leaves room for a slow one.
 */
export const AUTHENTICATION_ABANDONED_AFTER_MINUTES = 60

/** A payment whose answer from Stripe was lost: it is completed by a job, never charged twice */
export const REQUEST_PAYMENT_UNKNOWN =
  'We could not reach our payment provider, so we do not know yet whether your payment went ' +
  'through. It is checked again automatically within a few minutes, and never charged twice.'

export const PAYMENT_REQUEST_STATUSES = [
  'open',
  'partially_paid',
  'paid',
  'overdue',
  'void',
] as const
export type PaymentRequestStatus = (typeof PAYMENT_REQUEST_STATUSES)[number]

/** Payments sent to Stripe and not settled yet */
export const IN_FLIGHT_STATUSES: PaymentStatus[] = [
  'pending',
  'requires_action',
  'processing',
  'authorized',
]

export interface RequestTotals {
  amount: number
  paid: number
  inFlight: number
  /** The part of `inFlight` waiting for the employer's bank to confirm (3-D Secure) */
  awaitingAuthentication: number
  refunded: number
  /** What can be paid now: amount − paid − in flight */
  balanceDue: number
  /** What is left until the request is paid: amount − paid */
  outstanding: number
}

type PaymentFigures = Pick<Payment, 'status' | 'amount' | 'amountCaptured' | 'amountRefunded'>

export function requestTotals(
  request: Pick<PaymentRequest, 'amount'>,
  payments: PaymentFigures[]
): RequestTotals {
  let paid = 0
  let inFlight = 0
  let awaitingAuthentication = 0
  let refunded = 0
  for (const payment of payments) {
    if (CAPTURED_STATUSES.includes(payment.status)) {
      paid += payment.amountCaptured
      refunded += payment.amountRefunded
    } else if (IN_FLIGHT_STATUSES.includes(payment.status)) {
      inFlight += payment.amount
      if (payment.status === 'requires_action') {
        awaitingAuthentication += payment.amount
      }
    }
  }
  const outstanding = Math.max(0, request.amount - paid)
  return {
    amount: request.amount,
    paid,
    inFlight,
    awaitingAuthentication,
    refunded,
    balanceDue: Math.max(0, outstanding - inFlight),
    outstanding,
  }
}

/** The day a date-only due date is compared with: the business clock's day, in UTC */
export function businessDay(now: DateTime) {
  return now.toUTC().toISODate()!
}

/**
 * The status: void (canceled), paid (succeeded payments cover the amount),
 * overdue (the due date has passed with something left to pay; a partly
 * paid request is overdue too), partially paid, or open.
 */
export function requestStatus(
  request: Pick<PaymentRequest, 'status' | 'dueDate'>,
  totals: RequestTotals,
  today: string
): PaymentRequestStatus {
  if (request.status === 'void') {
    return 'void'
  }
  if (totals.outstanding === 0) {
    return 'paid'
  }
  if (request.dueDate.toISODate()! < today) {
    return 'overdue'
  }
  return totals.paid > 0 ? 'partially_paid' : 'open'
}

export const REQUEST_STATUS_LABELS: Record<PaymentRequestStatus, string> = {
  open: 'Open',
  partially_paid: 'Partially paid',
  paid: 'Paid',
  overdue: 'Overdue',
  void: 'Canceled',
}

/** The status in plain words for a viewer, with who acts next */
export function requestStatusView(
  status: PaymentRequestStatus,
  totals: RequestTotals,
  currency: string,
  viewer: Viewer
): StatusView {
  const money = (value: number) => formatAmount(value, currency)
  const clearing = totals.inFlight - totals.awaitingAuthentication
  const processing =
    [
      totals.awaitingAuthentication > 0
        ? `${money(totals.awaitingAuthentication)} is waiting for the bank's confirmation.`
        : null,
      clearing > 0 ? `${money(clearing)} is processing; it counts once it clears.` : null,
    ]
      .filter(Boolean)
      .join(' ') || null
  switch (status) {
    case 'void':
      return {
        label: REQUEST_STATUS_LABELS.void,
        tone: 'done',
        next: null,
        detail: 'This request was canceled.',
      }
    case 'paid':
      return {
        label: REQUEST_STATUS_LABELS.paid,
        tone: 'done',
        next: null,
        detail: totals.refunded > 0 ? `${money(totals.refunded)} was refunded.` : null,
      }
    case 'overdue':
    case 'open':
    case 'partially_paid': {
      const employerTurn = totals.balanceDue > 0
      return {
        label: REQUEST_STATUS_LABELS[status],
        tone:
          status === 'overdue' && viewer === 'employer' && employerTurn
            ? 'problem'
            : viewer === 'employer' && employerTurn
              ? 'your_turn'
              : 'waiting',
        next: employerTurn ? 'employer' : 'stripe',
        detail: processing,
      }
    }
  }
}

/** A payment of a request in plain words (the receipt's and the pages' word for it) */
export function requestPaymentWords(payment: Pick<Payment, 'status' | 'failureMessage'>) {
  switch (payment.status) {
    case 'pending':
      return 'Being confirmed'
    case 'requires_action':
      return 'Waiting for authentication'
    case 'processing':
    case 'authorized':
      return 'Processing'
    case 'succeeded':
      return 'Paid'
    case 'partially_refunded':
      return 'Paid, partly refunded'
    case 'refunded':
      return 'Refunded'
    case 'canceled':
      return 'Canceled'
    case 'failed':
      return payment.failureMessage ? `Failed: ${payment.failureMessage}` : 'Failed'
  }
}

/** Whether a payment of a request is over without money having moved */
export function isDeadPayment(payment: Pick<Payment, 'status'>) {
  return DEAD_STATUSES.includes(payment.status)
}
