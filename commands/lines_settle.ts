import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { settleLines } from '#actions/orders/settle_lines'
import { fittedTable } from '#services/console_table'

/**
 * Run every few minutes (the job queue does). Cancels and refunds lines of
 * orders paid at once that nobody accepted within LINE_ACCEPT_DAYS, approves
 * deliveries nobody approved within AUTO_APPROVE_DAYS. --dry-run lists them.
 */
export default class LinesSettle extends BaseCommand {
  static commandName = 'lines:settle'
  static description =
    'Cancel lines never accepted (LINE_ACCEPT_DAYS) and approve deliveries left unapproved (AUTO_APPROVE_DAYS)'

  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'List what would be done, change nothing' })
  declare dryRun: boolean

  @flags.boolean({ description: 'Print every table cell whole, wider than the terminal' })
  declare wide: boolean

  async run() {
    const settlements = await settleLines({ dryRun: this.dryRun })
    if (settlements.length === 0) {
      this.logger.info('No line is due.')
      return
    }
    const table = fittedTable(this, this.wide)
    table.head(['Order', 'Line', 'Action', 'Outcome'])
    for (const settlement of settlements) {
      table.row([
        `#${settlement.orderId}`,
        `#${settlement.lineId} ${settlement.title}`,
        this.dryRun ? `would ${settlement.action}` : settlement.action,
        this.dryRun
          ? '-'
          : `${settlement.outcome}${settlement.message ? `: ${settlement.message}` : ''}`,
      ])
    }
    table.render()
    if (settlements.some((settlement) => settlement.outcome === 'failed')) {
      this.exitCode = 1
    }
  }
}
