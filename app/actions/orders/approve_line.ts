import type { Actor } from '#domain/actor'
import { DomainError } from '#exceptions/domain_error'
import type OrderLine from '#models/order_line'
import { LINE_STATES } from '#models/order_line'
import { withOrderLock } from '#actions/orders/order_lock'
import { linesOf, requireLivePayment } from '#actions/orders/order_parts'
import { moveLine } from '#actions/orders/move_line'
import { afterLineApproved } from '#actions/orders/line_consequences'
import { driveOrder, type DrivenWrite } from '#actions/orders/drive_order'
import { requestPaymentAction } from '#actions/payments/payment_actions'

/** A capture another request wrote this recently is left to that request to send */
const FRESH_ACTION_SECONDS = 30

export interface Approval {
  lines: OrderLine[]
  /** The capture (hold) or transfers (charge) this approval sent, and Stripe's answers */
  driven: DrivenWrite[]
}

/**
 * Approves delivered work: one line, or every delivered line (`lineId`
 * null). The contractor is paid:
 *
 * - hold: the payment is captured (written first, sent after commit, once);
 *   the line becomes approved when Stripe confirms the capture;
 * - charge: the line is approved at once and its transfer sent when the
 *   charge has succeeded (at once, or when it does).
 *
 * A capture Stripe refuses is a conflict with Stripe's reason (the refusal
 * recorded first); one Stripe did not answer stays pending and is sent again
 * with the same key.
 */
export async function approveLines(
  orderId: number,
  lineId: number | null,
  actor: Actor,
  options: { amount?: number; fee?: number; message?: string } = {}
): Promise<Approval> {
  let wrote = false
  let inFlight = false
  const approved = await withOrderLock(orderId, async (trx, order) => {
    const lines = await linesOf(order.id, trx)
    const chosen =
      lineId === null
        ? lines.filter((line) => line.status === 'delivered' || actor.kind === 'admin')
        : lines.filter((line) => line.id === lineId)
    if (lineId !== null && chosen.length === 0) {
      throw DomainError.notFound('Order line not found.')
    }
    const open = chosen.filter((line) => line.isOpen)
    if (open.length === 0) {
      LINE_STATES.next((chosen[0] ?? lines[0]).status, 'approve', actor.kind, `order #${order.id}`)
    }
    const payment = await requireLivePayment(trx, order)
    for (const line of open) {
      if (payment.flow === 'hold') {
        // Checked now, moved when Stripe confirms the capture
        LINE_STATES.next(line.status, 'approve', actor.kind, `“${line.title}”`)
        const capture = { amount: options.amount, fee: options.fee }
        if (await requestPaymentAction(trx, payment, 'capture', actor, capture)) {
          wrote = true
        } else if (actor.kind === 'employer') {
          // Admins and jobs re-run on purpose: they always send it again (same key)
          inFlight =
            (payment.pendingActionAt?.diffNow('seconds').seconds ?? -Infinity) >
            -FRESH_ACTION_SECONDS
        }
      } else {
        wrote = true
        await moveLine(trx, line, 'approve', actor, {
          amount: line.amount - line.feeAmount,
          currency: payment.currency,
          message: options.message ?? null,
        })
        await afterLineApproved(trx, payment, line, actor)
      }
    }
    return open
  })
  // A double click while the first one's capture is being sent: that one sends it
  const driven = !wrote && inFlight ? [] : await driveOrder(orderId)
  const refusal = driven.find(
    (write) => write.operation === 'capture' && write.outcome.kind === 'refused'
  )
  if (refusal && refusal.outcome.kind === 'refused') {
    throw DomainError.conflict(
      `The payment could not be captured: ${refusal.outcome.error.message}`
    )
  }
  return { lines: approved, driven }
}
