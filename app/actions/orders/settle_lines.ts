import type { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import OrderLine from '#models/order_line'
import Payment from '#models/payment'
import type { MarketplaceConfig } from '#config/marketplace'
import { actors } from '#domain/actor'
import { DomainError } from '#exceptions/domain_error'
import { businessNow } from '#services/clock'
import { approveLines } from '#actions/orders/approve_line'
import { cancelLines } from '#actions/orders/cancel_line'

export interface LineSettlement {
  orderId: number
  lineId: number
  title: string
  action: 'cancel' | 'approve'
  /** done; skipped: the line moved meanwhile; failed: see message */
  outcome?: 'done' | 'skipped' | 'failed'
  message?: string
}

/**
 * Lines of orders paid at once (charge flow) that nobody acted on in time:
 * - a request the contractor did not accept within LINE_ACCEPT_DAYS of the
 *   order is canceled, and its price refunded to the employer;
 * - a delivery the employer did not approve within AUTO_APPROVE_DAYS is
 *   approved, and the contractor paid, as escrow marketplaces do.
 * Held orders (hold flow) are settled by holds:expire before their hold
 * lapses. Each line goes through the same actions as a person's click, as
 * Crewpay (system:lines), so it shows on the order's timeline; safe to run
 * every few minutes and concurrently.
 */
export async function settleLines(options: { now?: DateTime; dryRun?: boolean } = {}) {
  const policy = app.config.get<MarketplaceConfig>('marketplace')
  const now = options.now ?? (await businessNow())
  const charged = Payment.query().where('flow', 'charge').whereNotNull('orderId').select('orderId')

  const unaccepted = await OrderLine.query()
    .where('status', 'requested')
    .whereIn('orderId', charged)
    .where('createdAt', '<=', now.minus({ days: policy.lineAcceptDays }).toJSDate())
    .orderBy('id')
  const unapproved = await OrderLine.query()
    .where('status', 'delivered')
    .whereIn('orderId', charged)
    .where('deliveredAt', '<=', now.minus({ days: policy.autoApproveDays }).toJSDate())
    .orderBy('id')

  const settlements: LineSettlement[] = [
    ...unaccepted.map((line) => ({
      orderId: line.orderId,
      lineId: line.id,
      title: line.title,
      action: 'cancel' as const,
    })),
    ...unapproved.map((line) => ({
      orderId: line.orderId,
      lineId: line.id,
      title: line.title,
      action: 'approve' as const,
    })),
  ]
  if (options.dryRun) {
    return settlements
  }

  for (const settlement of settlements) {
    try {
      if (settlement.action === 'cancel') {
        await cancelLines(settlement.orderId, settlement.lineId, actors.system('system:lines'), {
          message: `Not accepted within ${policy.lineAcceptDays} days: the price goes back to the employer`,
        })
      } else {
        await approveLines(settlement.orderId, settlement.lineId, actors.system('system:lines'), {
          message: `Approved automatically: not approved within ${policy.autoApproveDays} days of delivery`,
        })
      }
      settlement.outcome = 'done'
    } catch (error) {
      settlement.outcome =
        error instanceof DomainError && error.kind === 'conflict' ? 'skipped' : 'failed'
      settlement.message = error instanceof Error ? error.message : String(error)
    }
  }
  return settlements
}
