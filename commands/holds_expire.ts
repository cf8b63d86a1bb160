import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { expireHolds } from '#actions/holds/expire_holds'
import { formatAmount } from '#money/amounts'
import { fittedTable } from '#services/console_table'

/**
 * Run every few minutes (cron). Releases or captures holds at 6 days, before
 * Stripe's 7-day authorization limit. --dry-run lists what it would do.
 */
export default class HoldsExpire extends BaseCommand {
  static commandName = 'holds:expire'
  static description = 'Release (or capture, when delivered) card holds older than 6 days'

  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'List what would be done, change nothing' })
  declare dryRun: boolean

  @flags.boolean({ description: 'Print every table cell whole, wider than the terminal' })
  declare wide: boolean

  async run() {
    const decisions = await expireHolds({ dryRun: this.dryRun })
    if (decisions.length === 0) {
      this.logger.info('No hold is due.')
      return
    }
    const table = fittedTable(this, this.wide)
    table.head(['Order', 'Status', 'Amount', 'Held until', 'Action', 'Outcome'])
    for (const decision of decisions) {
      table.row([
        `#${decision.orderId}`,
        decision.status,
        formatAmount(decision.amount, decision.currency),
        decision.holdExpiresAt?.toISO() ?? '',
        this.dryRun ? `would ${decision.action}` : decision.action,
        this.dryRun ? '-' : `${decision.outcome}${decision.message ? `: ${decision.message}` : ''}`,
      ])
    }
    table.render()
    if (decisions.some((decision) => decision.outcome === 'failed')) {
      this.exitCode = 1
    }
  }
}
