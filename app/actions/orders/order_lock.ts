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
