import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Payment from '#models/payment'
import Order from '#models/order'
import { driveOrder } from '#actions/orders/drive_order'
import { authorizeOrderPayment } from '#actions/orders/place_order'
import { drivePaymentWrites } from '#actions/payment_requests/drive_payment'
import { resendRequestPayment } from '#actions/payment_requests/pay_request'
import { cancelAbandonedAuthentications } from '#actions/payment_requests/authenticate_request_payment'

/** Writes younger than this are left to the request that made them */
const SETTLE_SECONDS = 60

/**
 * Sends again every Stripe write left pending (a timeout, a 5xx, a crash
 * between writing the row and sending it): payments whose authorization got
 * no answer (looked up on Stripe first), captures and releases, transfers,
 * reversals and refunds — each with its own key, so nothing happens twice.
 * Run by the job queue every few minutes; `stripe:reconcile --fix` does the
 * same for what it finds.
 */
export async function drivePendingWrites() {
  const before = DateTime.now().minus({ seconds: SETTLE_SECONDS }).toJSDate()
  const rows = await db.rawQuery<{ rows: { order_id: number }[] }>(
    `SELECT DISTINCT p.order_id FROM payments p
     WHERE p.order_id IS NOT NULL AND (
       (p.pending_action IS NOT NULL AND p.pending_action_at < :before)
       OR EXISTS (SELECT 1 FROM transfers t WHERE t.payment_id = p.id
                  AND t.status = 'pending' AND t.updated_at < :before)
       OR EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = p.id
                  AND r.status = 'pending' AND r.updated_at < :before)
       OR EXISTS (SELECT 1 FROM transfer_reversals v JOIN transfers t ON t.id = v.transfer_id
                  WHERE t.payment_id = p.id AND v.status = 'pending' AND v.updated_at < :before)
     )`,
    { before }
  )
  let driven = 0
  for (const { order_id: orderId } of rows.rows) {
    const sent = await driveOrder(orderId)
    driven += sent.length
  }
  const unanswered = await Payment.query()
    .where('status', 'pending')
    .whereNotNull('orderId')
    .where('updatedAt', '<', before)
    .orderBy('id')
  for (const payment of unanswered) {
    const order = await Order.findOrFail(payment.orderId!)
    await authorizeOrderPayment(order, payment, { retry: true })
    driven += 1
  }
  driven += await drivePendingRequestPayments(before)
  return driven
}

/**
 * The same for payment requests' payments (no order): their payment, then
 * their refunds; and payments left waiting for the employer's bank, canceled
 * to free the amount they reserve
 */
async function drivePendingRequestPayments(before: Date) {
  let driven = 0
  const unanswered = await Payment.query()
    .where('status', 'pending')
    .whereNotNull('paymentRequestId')
    .where('updatedAt', '<', before)
    .orderBy('id')
  for (const payment of unanswered) {
    await resendRequestPayment(payment)
    driven += 1
  }
  const refunded = await db.rawQuery<{ rows: { payment_id: number }[] }>(
    `SELECT DISTINCT r.payment_id FROM refunds r JOIN payments p ON p.id = r.payment_id
     WHERE p.payment_request_id IS NOT NULL AND r.status = 'pending' AND r.updated_at < :before`,
    { before }
  )
  for (const { payment_id: paymentId } of refunded.rows) {
    const sent = await drivePaymentWrites(paymentId)
    driven += sent.length
  }
  driven += await cancelAbandonedAuthentications(before)
  return driven
}
