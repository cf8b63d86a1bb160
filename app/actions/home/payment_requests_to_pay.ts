import PaymentRequest from '#models/payment_request'
import type User from '#models/user'
import { requestLinkPath } from '#actions/payment_requests/request_link'
import Payment from '#models/payment'
import { requestTotals } from '#domain/payment_request_summary'

/*
| Payment requests on the employer's home ("needs you"): the open requests
| addressed to them (by their account once they paid a part, else by their
| address) with something left to pay now, the earliest due first.
*/

export interface PaymentRequestToPay {
  /** Where the employer pays it (/pay/:token) */
  payUrl: string
  contractorName: string
  description: string
  /** Left to pay, minor units */
  amountDue: number
  currency: string
  /** ISO date, when the contractor set one */
  dueDate: string | null
}

/** At most this many on the home page; the mails link each one */
const SHOWN = 10

export async function paymentRequestsToPay(employer: User): Promise<PaymentRequestToPay[]> {
  const requests = await PaymentRequest.query()
    .where('status', 'open')
    .where((query) => {
      query
        .where('employerId', employer.id)
        .orWhere((byEmail) =>
          byEmail.whereNull('employerId').where('employerEmail', employer.email.toLowerCase())
        )
    })
    .preload('contractor')
    .orderBy('dueDate', 'asc')
    .orderBy('id', 'asc')
    .limit(SHOWN * 2)
  // Their payments in one read (not one per request)
  const payments = requests.length
    ? await Payment.query()
        .whereIn(
          'paymentRequestId',
          requests.map((request) => request.id)
        )
        .orderBy('id')
    : []
  const due: PaymentRequestToPay[] = []
  for (const request of requests) {
    const totals = requestTotals(
      request,
      payments.filter((payment) => payment.paymentRequestId === request.id)
    )
    const payUrl = requestLinkPath(request)
    if (totals.balanceDue === 0 || !payUrl) {
      continue
    }
    due.push({
      payUrl,
      contractorName: request.contractor.fullName,
      description: request.description,
      amountDue: totals.balanceDue,
      currency: request.currency,
      dueDate: request.dueDate.toISODate(),
    })
  }
  return due.slice(0, SHOWN)
}
