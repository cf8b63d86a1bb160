import type User from '#models/user'
import { actors } from '#domain/actor'
import { withOrderLock } from '#actions/orders/order_lock'
import { lineOf } from '#actions/orders/order_parts'
import { moveLine } from '#actions/orders/move_line'

/** The contractor says a line's work is done; the employer is asked to approve it */
export function deliverLine(orderId: number, lineId: number | null, contractor: User) {
  return withOrderLock(orderId, async (trx, order) => {
    const line = await lineOf(trx, order, lineId, contractor.id)
    return moveLine(trx, line, 'deliver', actors.party('contractor', contractor.id))
  })
}
