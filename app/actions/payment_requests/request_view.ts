import type { ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'
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

/** A request's page: its figures for `viewer`, its contractor, its payments newest first */
export async function requestView(request: PaymentRequest, viewer: Viewer) {
  const [row] = await listRequests([request])
  const payments = await Payment.query().where('paymentRequestId', request.id).orderBy('id', 'desc')
  const contractor = await User.findOrFail(request.contractorId)
  const lines: PaymentLine[] = payments.map((payment) => ({
    payment,
    words: requestPaymentWords(payment),
    method:
      methodWords(payment.methodBrand, payment.methodLast4, payment.methodType) ??
      (payment.methodType === 'us_bank_account' ? 'Bank account' : 'Card'),
    when: payment.succeededAt ?? payment.createdAt,
    receiptUrl: payment.isCaptured ? `/payments/${payment.id}/receipt.pdf` : null,
    tone: payment.isCaptured
      ? 'done'
      : payment.status === 'failed' || payment.status === 'canceled'
        ? 'problem'
        : 'waiting',
  }))
  return {
    ...row,
    statusView: requestStatusView(row.status, row.totals, request.currency, viewer),
    contractor,
    payments: lines,
  }
}
