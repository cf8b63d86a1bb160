import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import PaymentRequest from '#models/payment_request'
import Payment from '#models/payment'
import type User from '#models/user'
import { DomainError } from '#exceptions/domain_error'
import { isRecordId } from '#services/record_id'
import { businessNow } from '#services/clock'
import { businessDay, requestStatus, requestTotals } from '#domain/payment_request_summary'
import { hashRequestToken, isRequestTokenShape } from '#actions/payment_requests/request_link'

/** A request's payments, oldest first */
export function paymentsOf(requestId: number, trx?: TransactionClientContract) {
  return Payment.query(trx ? { client: trx } : {})
    .where('paymentRequestId', requestId)
    .orderBy('id')
}

/** A request with its payments, figures and status, as of the business clock's day */
export async function requestState(request: PaymentRequest, trx?: TransactionClientContract) {
  const payments = await paymentsOf(request.id, trx)
  const totals = requestTotals(request, payments)
  const today = businessDay(await businessNow())
  return { request, payments, totals, status: requestStatus(request, totals, today), today }
}

/**
 * Takes the request's row lock in `trx`: every payment decision and the
 * voiding of a request take it first, so two payments of one balance queue
 * up and the second sees the first.
 */
export async function lockRequest(trx: TransactionClientContract, requestId: number) {
  const request = await PaymentRequest.query({ client: trx })
    .where('id', requestId)
    .forUpdate()
    .first()
  if (!request) {
    throw DomainError.notFound('Payment request not found.')
  }
  return request
}

/** The request of a link (a token of the wrong shape is not looked up) */
export async function findRequestByToken(token: string) {
  if (!isRequestTokenShape(token)) {
    return null
  }
  return PaymentRequest.findBy('tokenHash', hashRequestToken(token))
}

/** Whether `user` is the employer the request was sent to (their user, or their address) */
export function isAddressedEmployer(request: PaymentRequest, user: User) {
  if (user.role !== 'employer') {
    return false
  }
  return request.employerId !== null
    ? request.employerId === user.id
    : request.employerEmail === user.email.toLowerCase()
}

/** A contractor's own request by id; anyone else's (or none) is 404 */
export async function findContractorRequest(contractor: User, id: unknown) {
  const requestId = Number(id)
  const request = isRecordId(requestId) ? await PaymentRequest.find(requestId) : null
  if (!request || request.contractorId !== contractor.id) {
    throw DomainError.notFound('Payment request not found.')
  }
  return request
}
