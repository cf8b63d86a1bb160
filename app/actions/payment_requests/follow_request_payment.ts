import type Stripe from 'stripe'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Payment from '#models/payment'
import PaymentRequest from '#models/payment_request'
import Transfer from '#models/transfer'
import User from '#models/user'
import UserProfile from '#models/user_profile'
import type { Actor } from '#domain/actor'
import { notify } from '#mails/notify'
import { recordPaymentEvent } from '#services/payment_events'
import { destinationTransferIdOf } from '#stripe/payment_intents'
import { methodWords } from '#actions/payment_requests/payment_methods'
import { requestRef } from '#actions/payment_requests/request_mail'
import { receiptFigures } from '#actions/payment_requests/receipt_figures'

/**
 * What a request payment's status means (called by `followPayment` with the
 * payment locked): once it succeeded, the transfer Stripe made to the
 * contractor is recorded, the employer is mailed the receipt (the PDF is
 * made when the mail is sent) and the contractor is told. The notify keys
 * make each mail once, however often Stripe's answer, webhooks and
 * reconciliation come by. A failed or canceled payment needs nothing: it no
 * longer counts, so the balance is open again.
 */
export async function followRequestPayment(
  trx: TransactionClientContract,
  payment: Payment,
  actor: Actor,
  paymentIntent?: Stripe.PaymentIntent
) {
  if (!payment.isCaptured) {
    return
  }
  const request = await PaymentRequest.findOrFail(payment.paymentRequestId, { client: trx })
  const transferId = paymentIntent ? destinationTransferIdOf(paymentIntent) : null
  if (transferId) {
    await recordRequestTransfer(trx, payment, request, transferId, actor)
  }

  const contractor = await User.findOrFail(request.contractorId, { client: trx })
  const figures = await receiptFigures(payment, request, trx)
  const fee = payment.applicationFeeAmount ?? 0
  await notify(trx, {
    key: `payment:${payment.id}:request_receipt`,
    to: { userId: payment.employerId },
    message: 'request_payment_receipt',
    data: {
      ...requestRef(request, contractor),
      paymentId: payment.id,
      paid: payment.amountCaptured,
      paidAt: (payment.succeededAt ?? payment.updatedAt).toISO()!,
      paymentMethod: methodWords(payment.methodBrand, payment.methodLast4, payment.methodType),
      paidSoFar: figures.paidSoFar,
      balanceDue: figures.balanceDue,
    },
  })
  await notify(trx, {
    key: `payment:${payment.id}:request_received`,
    to: { userId: contractor.id },
    message: 'request_payment_received',
    data: {
      ...requestRef(request, contractor),
      paymentId: payment.id,
      employerEmail: request.employerEmail,
      paid: payment.amountCaptured,
      fee,
      net: payment.amountCaptured - fee,
      paidSoFar: figures.paidSoFar,
      balanceDue: figures.balanceDue,
    },
  })
}

/** The transfer Stripe made with the destination charge (once per payment) */
async function recordRequestTransfer(
  trx: TransactionClientContract,
  payment: Payment,
  request: PaymentRequest,
  stripeTransferId: string,
  actor: Actor
) {
  const existing = await Transfer.query({ client: trx })
    .where('paymentId', payment.id)
    .where('kind', 'destination')
    .first()
  if (existing) {
    return existing
  }
  const profile = await UserProfile.query({ client: trx })
    .where('userId', request.contractorId)
    .firstOrFail()
  const transfer = await Transfer.create(
    {
      paymentId: payment.id,
      orderLineId: null,
      contractorId: request.contractorId,
      destination: profile.stripeId!,
      kind: 'destination',
      amount: payment.amountCaptured,
      currency: payment.currency,
      status: 'paid',
      stripeTransferId,
      initiatedBy: actor.label,
    },
    { client: trx }
  )
  await recordPaymentEvent(trx, {
    paymentRequestId: request.id,
    paymentId: payment.id,
    transferId: transfer.id,
    actor: actor.label,
    type: 'transfer.paid',
    toStatus: 'paid',
    amount: payment.amountCaptured - (payment.applicationFeeAmount ?? 0),
    currency: payment.currency,
    stripeId: stripeTransferId,
    message: 'Sent with the payment, less the platform fee',
  })
  return transfer
}
