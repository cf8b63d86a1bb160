import type User from '#models/user'
import type PaymentRequest from '#models/payment_request'
import type { PaymentRequestLinkData, PaymentRequestRef } from '#mails/messages'

/** What every request message names */
export function requestRef(request: PaymentRequest, contractor: User): PaymentRequestRef {
  return {
    requestId: request.id,
    contractorName: contractor.fullName,
    description: request.description,
    amount: request.amount,
    currency: request.currency,
    dueDate: request.dueDate.toISODate()!,
  }
}

/** The link mail's data: the token travels encrypted, and is wiped from the outbox once sent */
export function linkMailData(
  request: PaymentRequest,
  contractor: User,
  balanceDue: number
): PaymentRequestLinkData {
  return {
    ...requestRef(request, contractor),
    balanceDue,
    encryptedToken: request.tokenEncrypted,
  }
}
