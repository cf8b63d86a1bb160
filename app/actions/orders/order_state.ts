import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Order, { type OrderStatus } from '#models/order'
import { recordPaymentEvent } from '#services/payment_events'

/** The timestamp column each state sets when an order enters it */
const ENTERED_AT: Partial<Record<OrderStatus, keyof Order>> = {
  authorized: 'authorizedAt',
  accepted: 'acceptedAt',
  delivered: 'deliveredAt',
  captured: 'capturedAt',
  canceled: 'canceledAt',
  expired: 'canceledAt',
  failed: 'failedAt',
  partially_refunded: 'refundedAt',
  refunded: 'refundedAt',
}

/**
 * Runs `work` with the order row locked (SELECT … FOR UPDATE) inside a
 * transaction: concurrent clicks, webhooks, console commands and the hold
 * expiry job queue up on the row and each sees the state the previous one
 * left. A Stripe call made inside `work` is therefore made at most once per
 * state change.
 */
export async function withLockedOrder<T>(
  orderId: number,
  work: (order: Order, trx: TransactionClientContract) => Promise<T>
): Promise<T> {
  return db.transaction(async (trx) => {
    const order = await Order.query({ client: trx }).where('id', orderId).forUpdate().firstOrFail()
    return work(order, trx)
  })
}

export interface OrderChange {
  actor: string
  /** Audit event type, e.g. "order.captured" */
  type: string
  set?: Partial<Order>
  amount?: number | null
  stripeId?: string | null
  message?: string | null
}

/** Moves a locked order to `to` and appends the audit line */
export async function moveOrder(
  trx: TransactionClientContract,
  order: Order,
  to: OrderStatus,
  change: OrderChange
) {
  const from = order.status
  order.useTransaction(trx)
  order.merge({ ...change.set, status: to })
  const enteredAt = ENTERED_AT[to]
  if (enteredAt && from !== to) {
    order.merge({ [enteredAt]: DateTime.now() } as Partial<Order>)
  }
  await order.save()
  await recordPaymentEvent(trx, {
    orderId: order.id,
    actor: change.actor,
    type: change.type,
    fromStatus: from,
    toStatus: to,
    amount: change.amount ?? null,
    currency: change.amount === undefined || change.amount === null ? null : order.currency,
    stripeId: change.stripeId ?? null,
    message: change.message ?? null,
  })
  return order
}
