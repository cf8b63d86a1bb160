import { args } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import StripeEvent from '#models/stripe_event'
import { ConsoleCommand, ConsoleRefusal } from '#services/console_command'
import { processStoredEvent } from '#actions/stripe_events/receive_event'

/**
 * Applies a stored event now, in this process (the same code as the job):
 * for an event whose retries are exhausted, once its cause is fixed.
 */
export default class WebhooksRetry extends ConsoleCommand {
  static commandName = 'webhooks:retry'
  static description = 'Apply a stored Stripe webhook event again (evt_… or its number)'

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'The Stripe event id (evt_…) or the number webhooks:list shows' })
  declare event: string

  protected async perform() {
    const given = this.event.trim()
    const stored = /^\d{1,12}$/.test(given)
      ? await StripeEvent.find(Number(given))
      : await StripeEvent.findBy('stripeEventId', given)
    if (!stored) {
      throw new ConsoleRefusal(`No stored event ${given} (see node ace webhooks:list).`)
    }
    if (stored.processedAt) {
      this.logger.info(
        `${stored.stripeEventId} (${stored.type}) was applied already, on ${stored.processedAt.toISO()}.`
      )
      return
    }
    const { applied } = await processStoredEvent(stored)
    if (applied) {
      this.logger.success(
        `${stored.stripeEventId} (${stored.type}) applied (attempt ${stored.attempts}).`
      )
      return
    }
    if (stored.processedAt) {
      this.logger.info(`${stored.stripeEventId} was applied meanwhile by a worker.`)
      return
    }
    throw new ConsoleRefusal(
      stored.processingError && !stored.processingStartedAt
        ? `${stored.stripeEventId} (${stored.type}) failed again: ${stored.processingError}`
        : `${stored.stripeEventId} is being applied by another process right now; try again in a few minutes.`
    )
  }
}
