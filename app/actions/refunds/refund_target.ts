import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Order from '#models/order'
import Payment from '#models/payment'
import PaymentRequest from '#models/payment_request'
import { DomainError } from '#exceptions/domain_error'
import { withOrderLock } from '#actions/orders/order_lock'
import { driveOrder } from '#actions/orders/drive_order'
import { drivePaymentWrites } from '#actions/payment_requests/drive_payment'

/*
| What a console refund refunds: an order (its live payment, under the
| order's lock) or a payment request's payment (under the payment's row
| lock: a request payment has no order, and its refunds concern it alone).
*/

export type RefundTarget =
  { kind: 'order'; orderId: number } | { kind: 'payment'; paymentId: number }

/** How a refund names what it refunds, in messages and the audit */
export interface RefundSubject {
  /** "order #42", "payment #7 (payment request #3)" */
  label: string
  currency: string
  orderId: number | null
  paymentRequestId: number | null
  /** The contractor of a request payment (an order's are on its lines) */
  contractorId: number | null
}

/** A payment request's payment, read with `trx` (locked by withRefundTargetLock) */
export async function paymentOfTarget(
  target: Extract<RefundTarget, { kind: 'payment' }>,
  trx?: TransactionClientContract
) {
  const payment = await Payment.find(target.paymentId, trx ? { client: trx } : {})
  if (!payment) {
    throw DomainError.notFound(`Payment #${target.paymentId} does not exist.`)
  }
  if (payment.paymentRequestId === null) {
    throw DomainError.invalid(
      `Payment #${payment.id} belongs to order #${payment.orderId}: refund the order instead.`
    )
  }
  return payment
}

export async function refundSubjectOf(
  target: RefundTarget,
  payment: Payment | null
): Promise<RefundSubject> {
  if (target.kind === 'order') {
    const order = await Order.findOrFail(target.orderId)
    return {
      label: `order #${order.id}`,
      currency: order.currency,
      orderId: order.id,
      paymentRequestId: null,
      contractorId: null,
    }
  }
  const found = payment ?? (await paymentOfTarget(target))
  const request = await PaymentRequest.findOrFail(found.paymentRequestId)
  return {
    label: `payment #${found.id} (payment request #${request.id})`,
    currency: found.currency,
    orderId: null,
    paymentRequestId: request.id,
    contractorId: request.contractorId,
  }
}

/** Runs `work` in a short transaction holding the target's lock (the order's, or the payment's) */
export async function withRefundTargetLock<T>(
  target: RefundTarget,
  work: (trx: TransactionClientContract) => Promise<T>
): Promise<T> {
  if (target.kind === 'order') {
    return withOrderLock(target.orderId, (trx) => work(trx))
  }
  return db.transaction(async (trx) => {
    await Payment.query({ client: trx }).where('id', target.paymentId).forUpdate().first()
    return work(trx)
  })
}

/** Sends the target's pending Stripe writes after its change committed */
export async function driveRefundTarget(target: RefundTarget) {
  if (target.kind === 'order') {
    return driveOrder(target.orderId)
  }
  return drivePaymentWrites(target.paymentId)
}
