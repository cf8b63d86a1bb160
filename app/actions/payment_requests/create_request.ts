import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import User, { normalizeEmail } from '#models/user'
import UserProfile from '#models/user_profile'
import PaymentRequest from '#models/payment_request'
import { DomainError } from '#exceptions/domain_error'
import { notify } from '#mails/notify'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount } from '#money/amounts'
import { feePlanFor } from '#actions/contractors/fee_plans'
import { canTakeOrders } from '#actions/orders/place_order'
import { FieldRefusal } from '#actions/payment_requests/field_refusal'
import { newRequestToken } from '#actions/payment_requests/request_link'
import { linkMailData } from '#actions/payment_requests/request_mail'

export interface CreateRequestInput {
  employerEmail: string
  description: string
  /** Minor units of `currency` (the validator read them with the money module) */
  amount: number
  currency: string
  /** YYYY-MM-DD */
  dueDate: string
  minimumPayment?: number | null
}

/**
 * A contractor bills an employer: the request is written with its link's
 * token (hashed and encrypted), the contractor's fee plan copied on, and the
 * link mailed to the employer in the same transaction.
 */
export async function createPaymentRequest(contractor: User, input: CreateRequestInput) {
  if (contractor.role !== 'contractor') {
    throw DomainError.forbidden('Only contractors send payment requests.')
  }
  const profile = await UserProfile.findBy('userId', contractor.id)
  if (!canTakeOrders(profile)) {
    throw DomainError.conflict(
      'Your Stripe account cannot take payments yet: finish onboarding before you send a request.'
    )
  }
  const email = normalizeEmail(input.employerEmail)
  if (email === contractor.email) {
    throw new FieldRefusal('employer_email', 'You cannot send a payment request to yourself.')
  }
  const employer = await User.findBy('email', email)
  if (employer && employer.role !== 'employer') {
    throw new FieldRefusal(
      'employer_email',
      'This address belongs to an account that cannot pay requests: use the employer’s address.'
    )
  }
  const minimum = input.minimumPayment ?? null
  if (minimum !== null && minimum > input.amount) {
    throw new FieldRefusal(
      'minimum_payment',
      `The minimum payment cannot be more than the amount (${formatAmount(input.amount, input.currency)}).`
    )
  }
  const feePlan = await feePlanFor(contractor.id)
  const { tokenHash, tokenEncrypted } = newRequestToken()
  const sentAt = DateTime.now()

  return db.transaction(async (trx) => {
    const request = await PaymentRequest.create(
      {
        contractorId: contractor.id,
        employerEmail: email,
        employerId: employer?.id ?? null,
        description: input.description,
        amount: input.amount,
        currency: input.currency,
        dueDate: DateTime.fromISO(input.dueDate, { zone: 'utc' }),
        minimumPayment: minimum,
        feePlan,
        tokenHash,
        tokenEncrypted,
        status: 'open',
        lastSentAt: sentAt,
      },
      { client: trx }
    )
    await recordPaymentEvent(trx, {
      paymentRequestId: request.id,
      actor: `user:${contractor.id}`,
      type: 'payment_request.created',
      toStatus: 'open',
      amount: request.amount,
      currency: request.currency,
      message: `Sent to ${email}, due ${input.dueDate}`,
    })
    await notify(trx, {
      key: `payment_request:${request.id}:sent`,
      to: employer ? { userId: employer.id } : { email },
      message: 'payment_request',
      data: linkMailData(request, contractor, request.amount),
    })
    return request
  })
}
