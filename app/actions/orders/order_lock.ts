import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Order from '#models/order'
import { DomainError } from '#exceptions/domain_error'

/**
 * Runs `work` in a short transaction holding the order's row lock: every
 * change to an order's lines, payments, transfers and refunds takes it first,
 * so concurrent clicks, webhooks, jobs and console commands queue up and each
 * sees what the previous one left, in one lock order (no deadlocks). Never
 * call Stripe inside: write the pending row here, send it after commit
 * (`app/stripe/write.ts`).
 */
export async function withOrderLock<T>(
  orderId: number,
  work: (trx: TransactionClientContract, order: Order) => Promise<T>
): Promise<T> {
  return db.transaction(async (trx) => {
    const order = await Order.query({ client: trx }).where('id', orderId).forUpdate().first()
    if (!order) {
      throw DomainError.notFound('Order not found.')
    }
    return work(trx, order)
  })
}

/**
 * Takes the lock of the order a payment, transfer or refund belongs to,
 * inside a transaction the caller opened (the same lock order as
 * `withOrderLock`). Records without an order (payment requests) have none.
 */
export async function lockForOrder(trx: TransactionClientContract, orderId: number | null) {
  if (orderId !== null) {
    await trx.from('orders').where('id', orderId).forUpdate().select('id')
  }
}

/** The order a payment belongs to (null for a payment request's payment) */
export async function orderIdOfPayment(trx: TransactionClientContract, paymentId: number) {
  const row = await trx.from('payments').where('id', paymentId).select('order_id').first()
  return (row?.order_id as number | null) ?? null
}

/**
 * Takes the lock of what a payment pays: its order (`lockForOrder`), or its
 * payment request's row (as paying a request takes it), inside the caller's
 * transaction. Disputes and their recoveries take it before their own rows.
 */
export async function lockForPayer(
  trx: TransactionClientContract,
  owner: { orderId: number | null; paymentRequestId: number | null }
) {
  if (owner.orderId !== null) {
    await lockForOrder(trx, owner.orderId)
  } else if (owner.paymentRequestId !== null) {
    await trx.from('payment_requests').where('id', owner.paymentRequestId).forUpdate().select('id')
  }
}

/** What a payment pays: its order, or its payment request (for locks and the audit) */
export async function payerOfPayment(trx: TransactionClientContract, paymentId: number) {
  const row = await trx
    .from('payments')
    .where('id', paymentId)
    .select('order_id', 'payment_request_id')
    .first()
  return {
    orderId: (row?.order_id as number | null) ?? null,
    paymentRequestId: (row?.payment_request_id as number | null) ?? null,
  }
}

/** `lockForPayer` for a payment known by its id */
export async function lockForPaymentId(trx: TransactionClientContract, paymentId: number) {
  await lockForPayer(trx, await payerOfPayment(trx, paymentId))
}
