import type { ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'
import Dispute from '#models/dispute'
import Payment from '#models/payment'
import type PaymentRequest from '#models/payment_request'
import User from '#models/user'
import type { Viewer } from '#domain/order_summary'
import { businessNow } from '#services/clock'
import {
  businessDay,
  requestPaymentWords,
  requestStatus,
  requestStatusView,
  requestTotals,
} from '#domain/payment_request_summary'
import { methodWords } from '#actions/payment_requests/payment_methods'
import { disputeNoticesFor } from '#actions/disputes/dispute_notices'

/*
| What pages and the console show of requests: each with its figures and
| status (derived from its payments in one place), and its payments in
| plain words with their receipts.
*/

export interface RequestRow {
  request: PaymentRequest
  totals: ReturnType<typeof requestTotals>
  status: ReturnType<typeof requestStatus>
  statusView: ReturnType<typeof requestStatusView>
}

/** Requests (a query or a list) with their figures and status; payments read in one query */
export async function listRequests(
  requests: ModelQueryBuilderContract<typeof PaymentRequest> | PaymentRequest[]
): Promise<RequestRow[]> {
  const found = Array.isArray(requests) ? requests : await requests
  const ids = found.map((request) => request.id)
  const payments = ids.length
    ? await Payment.query().whereIn('paymentRequestId', ids).orderBy('id')
    : []
  const today = businessDay(await businessNow())
  return found.map((request) => {
    const totals = requestTotals(
      request,
      payments.filter((payment) => payment.paymentRequestId === request.id)
    )
    const status = requestStatus(request, totals, today)
    return {
      request,
      totals,
      status,
      statusView: requestStatusView(status, totals, request.currency, 'contractor'),
    }
  })
}

export interface PaymentLine {
  payment: Payment
  words: string
  method: string
  when: Payment['createdAt']
  receiptUrl: string | null
  tone: 'done' | 'waiting' | 'problem'
}

/**
 * A payment's dispute in a word beside its status: a disputed payment stays
 * paid (Stripe keeps the charge succeeded) until the bank decides; a lost
 * one is charged back (the money went back to the cardholder) and the
 * request still counts it as paid, as it does a refunded one.
 */
function disputeWords(disputes: Dispute[]) {
  const latest = disputes.at(-1)
  if (!latest) {
    return null
  }
  if (disputes.some((dispute) => LOST_STATUSES.includes(dispute.status))) {
    return 'charged back'
  }
  if (!latest.isClosed) {
    return latest.isInquiry ? 'bank inquiry open' : 'disputed'
  }
  return latest.status === 'won' ? 'dispute won' : null
}

const LOST_STATUSES: Dispute['status'][] = ['lost', 'appeal_needs_response', 'appeal_under_review']

/** A request's page: its figures for `viewer`, its contractor, its payments newest first */
export async function requestView(request: PaymentRequest, viewer: Viewer) {
  const [row] = await listRequests([request])
  const payments = await Payment.query().where('paymentRequestId', request.id).orderBy('id', 'desc')
  const contractor = await User.findOrFail(request.contractorId)
  const disputes = payments.length
    ? await Dispute.query()
        .whereIn(
          'paymentId',
          payments.map((payment) => payment.id)
        )
        .orderBy('id')
    : []
  const disputesOf = (payment: Payment) =>
    disputes.filter((dispute) => dispute.paymentId === payment.id)
  const { notices } = await disputeNoticesFor(
    payments.filter((payment) => payment.disputed).map((payment) => payment.id),
    viewer,
    request.contractorId,
    'request'
  )
  // Money that went back to the cardholder by a lost chargeback (still counted as paid); a
  // part Stripe reinstated (refunded before the dispute, so not charged back twice) is not
  const chargedBack = disputes
    .filter((dispute) => LOST_STATUSES.includes(dispute.status))
    .reduce(
      (sum, dispute) =>
        sum +
        dispute.amount -
        ((dispute.balanceCurrency ?? dispute.currency) === dispute.currency
          ? Math.min(dispute.amount, dispute.reinstatedAmount)
          : 0),
      0
    )
  const lines: PaymentLine[] = payments.map((payment) => ({
    payment,
    words: [requestPaymentWords(payment), disputeWords(disputesOf(payment))]
      .filter(Boolean)
      .join(', '),
    method:
      methodWords(payment.methodBrand, payment.methodLast4, payment.methodType) ??
      (payment.methodType === 'us_bank_account' ? 'Bank account' : 'Card'),
    when: payment.succeededAt ?? payment.createdAt,
    receiptUrl: payment.isCaptured ? `/payments/${payment.id}/receipt.pdf` : null,
    tone: payment.isCaptured
      ? disputesOf(payment).some(
          (dispute) => !dispute.isClosed || LOST_STATUSES.includes(dispute.status)
        )
        ? 'problem'
        : 'done'
      : payment.status === 'failed' || payment.status === 'canceled'
        ? 'problem'
        : 'waiting',
  }))
  return {
    ...row,
    statusView: requestStatusView(row.status, row.totals, request.currency, viewer),
    contractor,
    payments: lines,
    disputes: notices,
    chargedBack,
  }
}
