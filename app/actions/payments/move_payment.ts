import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Payment from '#models/payment'
import {
  PAYMENT_ENTERED_AT,
  PAYMENT_STATES,
  type PaymentStatus,
  type PaymentVerb,
} from '#models/payment'
import type { Actor } from '#domain/actor'
import { recordPaymentEvent } from '#services/payment_events'

export interface PaymentChange {
  set?: Partial<Payment>
  amount?: number | null
  stripeId?: string | null
  message?: string | null
}

/**
 * Moves a locked payment through its state table when the table allows the
 * pair, forward only: a verb the table does not list from the current status
 * (an old or repeated event) changes nothing and returns false. `set` is
 * applied either way (amounts and ids only ever fill in or grow).
 */
export async function movePayment(
  trx: TransactionClientContract,
  payment: Payment,
  verb: PaymentVerb,
  actor: Actor,
  change: PaymentChange = {}
) {
  const from = payment.status
  const to = PAYMENT_STATES.target(from, verb)
  const allowed = to !== null && PAYMENT_STATES.can(from, verb, actor.kind)
  payment.useTransaction(trx)
  if (change.set) {
    payment.merge(change.set)
  }
  if (!allowed) {
    if (payment.$isDirty) {
      await payment.save()
    }
    return false
  }
  payment.status = to as PaymentStatus
  const enteredAt = PAYMENT_ENTERED_AT[to]
  if (enteredAt && from !== to) {
    payment.merge({ [enteredAt]: DateTime.now() } as Partial<Payment>)
  }
  await payment.save()
  await recordPaymentEvent(trx, {
    orderId: payment.orderId,
    paymentId: payment.id,
    actor: actor.label,
    type: `payment.${to}`,
    fromStatus: from,
    toStatus: to,
    amount: change.amount ?? null,
    currency: change.amount === undefined || change.amount === null ? null : payment.currency,
    stripeId: change.stripeId ?? payment.stripePaymentIntentId,
    message: change.message ?? null,
  })
  return true
}
