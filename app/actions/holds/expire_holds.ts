import { type DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import Payment from '#models/payment'
import OrderLine from '#models/order_line'
import type { MarketplaceConfig } from '#config/marketplace'
import { actors } from '#domain/actor'
import { DomainError } from '#exceptions/domain_error'
import { withOrderLock } from '#actions/orders/order_lock'
import { requestPaymentAction } from '#actions/payments/payment_actions'
import { driveOrder } from '#actions/orders/drive_order'
import { businessNow } from '#services/clock'

export interface HoldDecision {
  orderId: number
  paymentId: number
  amount: number
  currency: string
  /** The line's work status when looked at */
  status: string
  holdExpiresAt: DateTime | null
  action: 'capture' | 'release'
  outcome?: 'done' | 'skipped' | 'failed' | 'pending'
  message?: string
}

/**
 * Settles every hold a day before Stripe would drop it (its capture_before):
 * released when the work was not delivered, captured when it was
 * (config/marketplace.ts documents the policy). Safe to run every few
 * minutes and concurrently: each decision is taken again under the order's
 * lock (a delivery that landed meanwhile is captured, not released), and
 * written as the payment's pending capture or release, which is sent once.
 * A capture or release written earlier and never answered (an approval
 * while Stripe was unreachable) is sent again instead, with its own key.
 */
export async function expireHolds(options: { now?: DateTime; dryRun?: boolean; actor?: string }) {
  const policy = app.config.get<MarketplaceConfig>('marketplace')
  // Stripe's clock (capture_before): the sandbox's when it runs ahead, as settle_lines does
  const now = options.now ?? (await businessNow())
  const dueBefore = now.plus({ hours: policy.holdMarginHours })
  const due = await Payment.query()
    .where('flow', 'hold')
    .where('status', 'authorized')
    .whereNotNull('orderId')
    .whereRaw(`COALESCE(capture_before, authorized_at + make_interval(days => ?)) <= ?`, [
      policy.defaultHoldDays,
      dueBefore.toJSDate(),
    ])
    .orderBy('id', 'asc')
  const lines = await OrderLine.query().whereIn(
    'orderId',
    due.map((payment) => payment.orderId!)
  )
  const decide = (lineStatus: string) =>
    lineStatus === 'delivered' && policy.deliveredHoldPolicy === 'capture' ? 'capture' : 'release'
  // A capture or release already written (an approval, a cancel whose answer was lost) is what
  // happens to the hold: it is sent again before Stripe drops the hold
  const actionOf = (payment: Payment, lineStatus: string) =>
    payment.pendingAction
      ? payment.pendingAction === 'capture'
        ? ('capture' as const)
        : ('release' as const)
      : decide(lineStatus)

  const decisions: HoldDecision[] = due.map((payment) => {
    const line = lines.find((candidate) => candidate.orderId === payment.orderId)
    return {
      orderId: payment.orderId!,
      paymentId: payment.id,
      amount: payment.amount,
      currency: payment.currency,
      status: line?.status ?? 'unknown',
      holdExpiresAt: payment.captureBefore,
      action: actionOf(payment, line?.status ?? ''),
    }
  })
  if (options.dryRun) {
    return decisions
  }

  const actor = actors.system(options.actor ?? 'system:holds')
  for (const decision of decisions) {
    try {
      await withOrderLock(decision.orderId, async (trx) => {
        const payment = await Payment.query({ client: trx })
          .where('id', decision.paymentId)
          .forUpdate()
          .firstOrFail()
        const line = await OrderLine.query({ client: trx })
          .where('orderId', decision.orderId)
          .firstOrFail()
        decision.status = line.status
        if (payment.status !== 'authorized') {
          throw DomainError.conflict(
            `The hold of order #${decision.orderId} was settled meanwhile.`
          )
        }
        decision.action = actionOf(payment, line.status)
        if (payment.pendingAction) {
          return
        }
        await requestPaymentAction(
          trx,
          payment,
          decision.action === 'capture' ? 'capture' : 'cancel',
          actor,
          decision.action === 'release' ? { reason: 'abandoned' } : {}
        )
      })
      const driven = await driveOrder(decision.orderId)
      // Ids are per table: the payment's own capture or cancel, not a refund or transfer
      const sent = driven.find(
        (write) =>
          (write.operation === 'capture' || write.operation === 'cancel') &&
          write.id === decision.paymentId
      )
      if (sent?.outcome.kind === 'refused' || sent?.outcome.kind === 'unknown') {
        decision.outcome = sent.outcome.kind === 'unknown' ? 'pending' : 'failed'
        decision.message = sent.outcome.error.message
        continue
      }
      // Recorded: what Stripe did is on the payment (a hold that had already expired cannot be captured)
      const after = await Payment.findOrFail(decision.paymentId)
      const settled = decision.action === 'capture' ? after.isCaptured : after.status === 'canceled'
      if (settled) {
        decision.outcome = 'done'
      } else if (after.status === 'authorized') {
        decision.outcome = 'pending'
        decision.message = 'Being sent to Stripe by another process.'
      } else {
        decision.outcome = 'failed'
        decision.message =
          after.status === 'canceled' && after.cancellationReason === 'automatic'
            ? 'Stripe had already released the hold: it expired.'
            : `Stripe shows the payment ${after.status}.`
      }
    } catch (error) {
      decision.outcome =
        error instanceof DomainError && error.kind === 'conflict' ? 'skipped' : 'failed'
      decision.message = error instanceof Error ? error.message : String(error)
    }
  }
  return decisions
}
