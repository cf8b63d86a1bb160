import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type OrderLine from '#models/order_line'
import { LINE_ENTERED_AT, LINE_STATES, type LineVerb } from '#models/order_line'
import type { Actor } from '#domain/actor'
import { recordPaymentEvent } from '#services/payment_events'
import { mailLineChange } from '#actions/orders/order_mail'

export interface LineChange {
  set?: Partial<OrderLine>
  message?: string | null
  amount?: number | null
  currency?: string
}

/**
 * Moves a line (of an order locked by the caller) through its state table
 * and appends the audit line. Refuses what the table does not allow.
 */
export async function moveLine(
  trx: TransactionClientContract,
  line: OrderLine,
  verb: LineVerb,
  actor: Actor,
  change: LineChange = {}
) {
  const from = line.status
  const to = LINE_STATES.next(from, verb, actor.kind, `“${line.title}”`)
  line.useTransaction(trx)
  line.merge({ ...change.set, status: to })
  const enteredAt = LINE_ENTERED_AT[to]
  if (enteredAt) {
    line.merge({ [enteredAt]: DateTime.now() } as Partial<OrderLine>)
  }
  await line.save()
  await recordPaymentEvent(trx, {
    orderId: line.orderId,
    orderLineId: line.id,
    actor: actor.label,
    type: `line.${to}`,
    fromStatus: from,
    toStatus: to,
    amount: change.amount ?? null,
    currency: change.amount === undefined || change.amount === null ? null : change.currency,
    message: change.message ?? null,
  })
  await mailLineChange(trx, line, to, actor)
  return line
}
