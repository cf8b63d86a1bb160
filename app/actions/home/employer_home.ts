import type User from '#models/user'
import Order from '#models/order'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { ordersPage, rowsOfLists, withEmployer, type OrderRow } from '#actions/orders/order_rows'
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

/** Why an order is on the home: each id with its reasons, in one statement */
async function ordersNeedingEmployer(employer: User) {
  // failed_at is written on the server's clock (not the sandbox's business clock)
  const since = DateTime.now().minus({ days: FAILED_PAYMENT_DAYS }).toJSDate()
  const { rows } = await db.rawQuery<{ rows: Array<{ reason: Reason; order_id: number }> }>(
    `SELECT 'approve' AS reason, l.order_id FROM order_lines l
       WHERE l.status = 'delivered'
         AND l.order_id IN (SELECT id FROM orders WHERE employer_id = :employer)
     UNION ALL
     SELECT 'authenticate', order_id FROM payments
       WHERE employer_id = :employer AND order_id IS NOT NULL AND status = 'requires_action'
     UNION ALL
     SELECT 'failed', order_id FROM payments
       WHERE employer_id = :employer AND order_id IS NOT NULL
         AND (status = 'pending' OR (status = 'failed' AND failed_at >= :since))`,
    { employer: employer.id, since }
  )
  const reasons: Record<Reason, Set<number>> = {
    approve: new Set(),
    authenticate: new Set(),
    failed: new Set(),
  }
  for (const row of rows) {
    reasons[row.reason].add(row.order_id)
  }
  return reasons
}

type Reason = 'approve' | 'authenticate' | 'failed'

export async function employerHome(employer: User): Promise<EmployerHome> {
  const reasons = await ordersNeedingEmployer(employer)
  const ids = [...new Set(Object.values(reasons).flatMap((set) => [...set]))]
  const [needing, recentPage, paymentRequests] = await Promise.all([
    ids.length
      ? Order.query().whereIn('id', ids).where('employerId', employer.id).orderBy('id', 'desc')
      : [],
    ordersPage(employer, { perPage: RECENT_ORDERS }),
    paymentRequestsToPay(employer),
  ])
  const [needingRows, recent] = await rowsOfLists(employer, [
    withEmployer(employer, needing),
    recentPage.rows,
  ])
  const because = (reason: Reason) => needingRows.filter((row) => reasons[reason].has(row.order.id))
  // Only what is the employer's turn: a delivery already being paid is not
  const approve = because('approve').filter((row) => row.status.tone === 'your_turn')
  const toAuthenticate = because('authenticate')
  const failedPayments = because('failed').filter((row) => row.status.tone === 'your_turn')
  return {
    toApprove: approve,
    toAuthenticate,
    failedPayments,
    paymentRequests,
    recent,
    hasMoreOrders: recentPage.olderCursor !== null,
    needsYou:
      approve.length + toAuthenticate.length + failedPayments.length + paymentRequests.length,
  }
}
