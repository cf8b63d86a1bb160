import type User from '#models/user'
import { actors } from '#domain/actor'
import { withOrderLock } from '#actions/orders/order_lock'
import { lineOf, livePaymentOf } from '#actions/orders/order_parts'
import { moveLine } from '#actions/orders/move_line'
import { assertWorkCanStart } from '#actions/orders/line_consequences'

/** The contractor takes on a line; the money stays where it is (held, or collected) */
export function acceptLine(orderId: number, lineId: number | null, contractor: User) {
  return withOrderLock(orderId, async (trx, order) => {
    const line = await lineOf(trx, order, lineId, contractor.id)
    if (line.status === 'requested') {
      assertWorkCanStart(await livePaymentOf(order.id, trx))
    }
    return moveLine(trx, line, 'accept', actors.party('contractor', contractor.id))
  })
}
