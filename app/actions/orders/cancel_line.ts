import type { Actor } from '#domain/actor'
import { DomainError } from '#exceptions/domain_error'
import { withOrderLock } from '#actions/orders/order_lock'
import { linesOf, livePaymentOf } from '#actions/orders/order_parts'
import { moveLine } from '#actions/orders/move_line'
import { afterLineClosed } from '#actions/orders/line_consequences'
import { driveOrder } from '#actions/orders/drive_order'
import { LINE_STATES } from '#models/order_line'

/**
 * Cancels lines of an order: the employer, lines not accepted yet; an admin
 * or Crewpay, any open line. `lineId` null: every line the actor may cancel
 * (refused when there is none). Each line's money goes back (a hold
 * released, a charge's line refunded), sent after the change commits.
 * `reason`: Stripe's cancellation reason of a released hold; `message`: why,
 * on the timeline.
 */
export async function cancelLines(
  orderId: number,
  lineId: number | null,
  actor: Actor,
  options: { reason?: string; message?: string } = {}
) {
  const canceled = await withOrderLock(orderId, async (trx, order) => {
    const lines = await linesOf(order.id, trx)
    const chosen =
      lineId === null
        ? lines.filter((line) => LINE_STATES.can(line.status, 'cancel', actor.kind))
        : lines.filter((line) => line.id === lineId)
    if (lineId !== null && chosen.length === 0) {
      throw DomainError.notFound('Order line not found.')
    }
    if (chosen.length === 0) {
      // Said with the first line's state ("it is accepted and in progress")
      LINE_STATES.next(lines[0].status, 'cancel', actor.kind, `order #${order.id}`)
    }
    const payment = await livePaymentOf(order.id, trx)
    for (const line of chosen) {
      await moveLine(trx, line, 'cancel', actor, {
        message: options.message ?? (actor.kind === 'employer' ? 'Canceled by the employer' : null),
      })
      await afterLineClosed(trx, payment, line, actor, options.reason)
    }
    return chosen
  })
  const driven = await driveOrder(orderId)
  return { lines: canceled, driven }
}
