import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import Order, { HELD_STATUSES } from '#models/order'
import type { MarketplaceConfig } from '#config/marketplace'
import { cancelOrder } from '#actions/orders/cancel_order'
import { captureOrder } from '#actions/orders/capture_order'
import { ActionError } from '#exceptions/action_error'

export interface HoldDecision {
  orderId: number
  status: string
  holdExpiresAt: DateTime | null
  action: 'capture' | 'release'
  outcome?: 'done' | 'skipped' | 'failed'
  message?: string
}

/**
 * Settles every hold a day before Stripe would drop it (its capture_before):
 * released when the work was not delivered, captured when it was
 * (config/marketplace.ts documents the policy). Safe to run every few
 * minutes and concurrently: each order is settled under its row lock, and an
 * order whose state changed meanwhile (settled, or delivered while the hold
 * was being released) is skipped and looked at again on the next run.
 */
export async function expireHolds(options: { now?: DateTime; dryRun?: boolean; actor?: string }) {
  const policy = app.config.get<MarketplaceConfig>('marketplace')
  const now = options.now ?? DateTime.now()
  const dueBefore = now.plus({ hours: policy.holdMarginHours })
  const due = await Order.query()
    .whereIn('status', HELD_STATUSES)
    .whereRaw(`COALESCE(hold_expires_at, authorized_at + make_interval(days => ?)) <= ?`, [
      policy.defaultHoldDays,
      dueBefore.toJSDate(),
    ])
    .orderBy('id', 'asc')

  const decisions: HoldDecision[] = due.map((order) => ({
    orderId: order.id,
    status: order.status,
    holdExpiresAt: order.holdExpiresAt,
    action:
      order.status === 'delivered' && policy.deliveredHoldPolicy === 'capture'
        ? 'capture'
        : 'release',
  }))
  if (options.dryRun) {
    return decisions
  }

  const actor = options.actor ?? 'system:holds'
  for (const decision of decisions) {
    try {
      if (decision.action === 'capture') {
        await captureOrder(decision.orderId, { actor, from: ['delivered'] })
      } else {
        await cancelOrder(decision.orderId, {
          actor,
          // A delivery that lands meanwhile is captured on the next run, not released
          from:
            policy.deliveredHoldPolicy === 'capture' ? ['authorized', 'accepted'] : HELD_STATUSES,
          reason: 'abandoned',
          to: 'expired',
        })
      }
      decision.outcome = 'done'
    } catch (error) {
      if (error instanceof ActionError && error.status === 409) {
        decision.outcome = 'skipped'
      } else {
        decision.outcome = 'failed'
      }
      decision.message = error instanceof Error ? error.message : String(error)
    }
  }
  return decisions
}
