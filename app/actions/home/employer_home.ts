import type User from '#models/user'
import Order from '#models/order'
import OrderLine from '#models/order_line'
import Payment from '#models/payment'
import { DateTime } from 'luxon'
import { rowsOf, orderRows, type OrderRow } from '#actions/orders/order_rows'
import {
  paymentRequestsToPay,
  type PaymentRequestToPay,
} from '#actions/home/payment_requests_to_pay'

/*
| The employer's home: what needs them (deliveries to approve, payments to
| authenticate, payments that failed or got no answer, payment requests to
| pay) and their latest orders.
*/

/** A failed payment stays on the home page this long (after that, the order page keeps it) */
export const FAILED_PAYMENT_DAYS = 7

export const RECENT_ORDERS = 5

export interface EmployerHome {
  toApprove: OrderRow[]
  toAuthenticate: OrderRow[]
  /** Failed in the last FAILED_PAYMENT_DAYS days, or never answered by Stripe */
  failedPayments: OrderRow[]
  paymentRequests: PaymentRequestToPay[]
  recent: OrderRow[]
  hasMoreOrders: boolean
  /** Whether anything at all needs the employer */
  needsYou: number
}

async function ordersWhere(employer: User, ids: number[]) {
  if (ids.length === 0) {
    return []
  }
  const orders = await Order.query()
    .whereIn('id', [...new Set(ids)])
    .where('employerId', employer.id)
    .preload('employer')
    .orderBy('id', 'desc')
  return rowsOf(employer, orders)
}

export async function employerHome(employer: User): Promise<EmployerHome> {
  const delivered = await OrderLine.query()
    .where('status', 'delivered')
    .whereIn('orderId', Order.query().where('employerId', employer.id).select('id'))
    .select('orderId')
  // failed_at is written on the server's clock (not the sandbox's business clock)
  const since = DateTime.now().minus({ days: FAILED_PAYMENT_DAYS })
  const [authenticate, failed] = await Promise.all([
    Payment.query()
      .where('employerId', employer.id)
      .where('status', 'requires_action')
      .whereNotNull('orderId')
      .select('orderId'),
    Payment.query()
      .where('employerId', employer.id)
      .whereNotNull('orderId')
      .where((query) =>
        query
          .where('status', 'pending')
          .orWhere((inner) =>
            inner.where('status', 'failed').where('failedAt', '>=', since.toJSDate())
          )
      )
      .select('orderId'),
  ])

  const [toApprove, toAuthenticate, failedRows, paymentRequests, recentPage] = await Promise.all([
    ordersWhere(
      employer,
      delivered.map((line) => line.orderId)
    ),
    ordersWhere(
      employer,
      authenticate.map((payment) => payment.orderId!)
    ),
    ordersWhere(
      employer,
      failed.map((payment) => payment.orderId!)
    ),
    paymentRequestsToPay(employer),
    orderRows(employer, { perPage: RECENT_ORDERS }),
  ])
  // Only what is the employer's turn: a delivery already being paid is not
  const approve = toApprove.filter((row) => row.status.tone === 'your_turn')
  const failedPayments = failedRows.filter((row) => row.status.tone === 'your_turn')
  return {
    toApprove: approve,
    toAuthenticate,
    failedPayments,
    paymentRequests,
    recent: recentPage.rows,
    hasMoreOrders: recentPage.hasNext,
    needsYou:
      approve.length + toAuthenticate.length + failedPayments.length + paymentRequests.length,
  }
}
