import type User from '#models/user'
import { actors } from '#domain/actor'
import { withOrderLock } from '#actions/orders/order_lock'
import { lineOf, livePaymentOf } from '#actions/orders/order_parts'
import { moveLine } from '#actions/orders/move_line'
import { afterLineClosed } from '#actions/orders/line_consequences'
import { driveOrder } from '#actions/orders/drive_order'

/**
 * The contractor declines a request: the line is closed at once, and its
 * money goes back (a hold released, a charge's line refunded), sent after
 * the change commits.
 */
export async function declineLine(
  orderId: number,
  lineId: number | null,
  contractor: User,
  reason: string | null = null
) {
  const line = await withOrderLock(orderId, async (trx, order) => {
    const locked = await lineOf(trx, order, lineId, contractor.id)
    const actor = actors.party('contractor', contractor.id)
    await moveLine(trx, locked, 'decline', actor, {
      set: { declineReason: reason },
      message: reason,
    })
    await afterLineClosed(trx, await livePaymentOf(order.id, trx), locked, actor)
    return locked
  })
  const driven = await driveOrder(orderId)
  return { line, driven }
}
