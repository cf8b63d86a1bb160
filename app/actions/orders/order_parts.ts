import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Order from '#models/order'
import OrderLine from '#models/order_line'
import Payment, { DEAD_STATUSES } from '#models/payment'
import { DomainError } from '#exceptions/domain_error'

function client(trx?: TransactionClientContract) {
  return trx ? { client: trx } : {}
}

/**
 * The payment that pays for an order now: its live one (at most one), else
 * its latest (failed or canceled), else none.
 */
export async function livePaymentOf(orderId: number, trx?: TransactionClientContract) {
  const live = await Payment.query(client(trx))
    .where('orderId', orderId)
    .whereNotIn('status', DEAD_STATUSES)
    .first()
  return (
    live ??
    (await Payment.query(client(trx)).where('orderId', orderId).orderBy('id', 'desc').first())
  )
}

export async function linesOf(orderId: number, trx?: TransactionClientContract) {
  return OrderLine.query(client(trx)).where('orderId', orderId).orderBy('id')
}

/**
 * A line of a locked order, for a contractor: only their own lines exist for
 * them (404 for another contractor's line, as for any unknown id)
 */
export async function lineOf(
  trx: TransactionClientContract,
  order: Order,
  lineId: number | null,
  contractorId?: number
) {
  const lines = await linesOf(order.id, trx)
  const visible =
    contractorId === undefined ? lines : lines.filter((line) => line.contractorId === contractorId)
  if (lineId === null) {
    // The one-line shorthand (/orders/:id/accept): the viewer's only line
    if (visible.length === 0) {
      throw DomainError.notFound('Order line not found.')
    }
    if (visible.length !== 1) {
      throw DomainError.invalid('This order has several lines: choose one.')
    }
    return visible[0]
  }
  const line = visible.find((candidate) => candidate.id === lineId)
  if (!line) {
    throw DomainError.notFound('Order line not found.')
  }
  return line
}

export async function requireLivePayment(trx: TransactionClientContract, order: Order) {
  const payment = await livePaymentOf(order.id, trx)
  if (!payment) {
    throw DomainError.conflict(`Order #${order.id} has no payment.`)
  }
  return payment
}
