import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { DomainError } from '#exceptions/domain_error'
import { ConsoleCommand } from '#services/console_command'
import { findOrderArg, parseLineFlag } from '#services/console_inputs'
import { formatAmount } from '#money/amounts'
import { retryTransfer } from '#actions/transfers/retry_transfer'

/** Retries the transfer of an approved line that Stripe refused (or never answered) */
export default class OrdersTransfer extends ConsoleCommand {
  static commandName = 'orders:transfer'
  static description = "Send an approved line's transfer to its contractor again (after a failure)"
  static help = [
    "A line's transfer can fail (the contractor's account could not receive it):",
    'fix the cause, then run this. A refused transfer is sent as a new attempt;',
    'one whose answer was lost is sent again with the same key. A paid transfer',
    'is never sent twice.',
  ]

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Order number (42 or #42) or its PaymentIntent id (pi_…)' })
  declare order: string

  @flags.string({ description: 'The line (see orders:show); optional for an order of one line' })
  declare line?: string

  protected async perform() {
    const order = await findOrderArg(this.order)
    const transfer = await retryTransfer(order.id, parseLineFlag(this.line), this.actor)
    const money = formatAmount(transfer.amount, transfer.currency)
    switch (transfer.status) {
      case 'paid':
        this.logger.success(
          `Transfer #${transfer.id}: ${money} paid to ${transfer.destination} (${transfer.stripeTransferId}).`
        )
        return
      case 'failed':
        throw DomainError.conflict(
          `Stripe refused transfer #${transfer.id}: ${transfer.failureMessage}`
        )
      default:
        throw DomainError.unavailable(
          `Stripe did not answer: transfer #${transfer.id} of ${money} stays pending. Run the same command again (same key).`
        )
    }
  }
}
