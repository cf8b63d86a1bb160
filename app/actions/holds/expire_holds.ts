import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import Payment from '#models/payment'
import OrderLine from '#models/order_line'
import type { MarketplaceConfig } from '#config/marketplace'
import { actors } from '#domain/actor'
import { DomainError } from '#exceptions/domain_error'
import { withOrderLock } from '#actions/orders/order_lock'
import { requestPaymentAction } from '#actions/payments/payment_actions'
import { driveOrder } from '#actions/orders/drive_order'

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
 */
export async function expireHolds(options: { now?: DateTime; dryRun?: boolean; actor?: string }) {
  const policy = app.config.get<MarketplaceConfig>('marketplace')
  const now = options.now ?? DateTime.now()
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

  const decisions: HoldDecision[] = due.map((payment) => {
    const line = lines.find((candidate) => candidate.orderId === payment.orderId)
    return {
      orderId: payment.orderId!,
      paymentId: payment.id,
      amount: payment.amount,
      currency: payment.currency,
      status: line?.status ?? 'unknown',
      holdExpiresAt: payment.captureBefore,
      action: decide(line?.status ?? ''),
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
        decision.action = decide(line.status)
        if (payment.status !== 'authorized' || payment.pendingAction) {
          throw DomainError.conflict(`The hold of order #${decision.orderId} was settled meanwhile.`)
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
      const sent = driven.find((write) => write.id === decision.paymentId)
      decision.outcome =
        !sent || sent.outcome.kind === 'recorded'
          ? 'done'
          : sent.outcome.kind === 'unknown'
            ? 'pending'
            : 'failed'
      if (sent?.outcome.kind === 'refused' || sent?.outcome.kind === 'unknown') {
        decision.message = sent.outcome.error.message
      }
    } catch (error) {
      decision.outcome = error instanceof DomainError && error.kind === 'conflict' ? 'skipped' : 'failed'
      decision.message = error instanceof Error ? error.message : String(error)
    }
  }
  return decisions
}
