import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import vine from '@vinejs/vine'
import StripeEvent from '#models/stripe_event'
import { ConsoleCommand } from '#services/console_command'
import { fittedTable } from '#services/console_table'

const limitValidator = vine.create({ limit: vine.number().withoutDecimals().range([1, 1000]) })

/** Stored Stripe webhook events, newest first; --failed: those whose application failed */
export default class WebhooksList extends ConsoleCommand {
  static commandName = 'webhooks:list'
  static description = 'List stored Stripe webhook events (--failed: not applied, failing)'

  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'Only events not applied whose last attempt failed' })
  declare failed: boolean

  @flags.string({ description: 'At most this many events (1 to 1000)', default: '50' })
  declare limit: string

  @flags.boolean({ description: 'JSON instead of a table' })
  declare json: boolean

  @flags.boolean({ description: 'Print every table cell whole, wider than the terminal' })
  declare wide: boolean

  protected async perform() {
    const { limit } = await limitValidator.validate({ limit: this.limit })
    const events = await StripeEvent.query()
      .if(this.failed, (query) => query.whereNull('processedAt').whereNotNull('processingError'))
      .orderBy('id', 'desc')
      .limit(limit)

    if (this.json) {
      this.printJson(
        events.map((event) => ({
          id: event.id,
          stripeEventId: event.stripeEventId,
          type: event.type,
          account: event.account,
          state: event.state,
          attempts: event.attempts,
          receivedAt: event.receivedAt.toISO(),
          processedAt: event.processedAt?.toISO() ?? null,
          error: event.processingError,
        }))
      )
      return
    }
    if (events.length === 0) {
      this.logger.info(this.failed ? 'No failed event.' : 'No event stored.')
      return
    }
    const table = fittedTable(this, this.wide)
    table.head(['Id', 'Stripe event', 'Type', 'Account', 'State', 'Attempts', 'Received', 'Error'])
    for (const event of events) {
      table.row([
        String(event.id),
        event.stripeEventId,
        event.type,
        event.account ?? 'platform',
        event.state,
        String(event.attempts),
        event.receivedAt.toUTC().toFormat("yyyy-LL-dd HH:mm:ss'Z'"),
        (event.processingError ?? '').split('\n')[0].slice(0, 80),
      ])
    }
    table.render()
  }
}
