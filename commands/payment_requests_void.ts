import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { actors } from '#domain/actor'
import { ConsoleCommand } from '#services/console_command'
import { findRequestArg } from '#services/console_request_inputs'
import { formatAmount } from '#money/amounts'
import { voidPaymentRequest } from '#actions/payment_requests/void_request'

/** Cancels an unpaid payment request (its link then says it was canceled) */
export default class PaymentRequestsVoid extends ConsoleCommand {
  static commandName = 'payment-requests:void'
  static description = 'Cancel an unpaid payment request (its link then says so)'

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Payment request number (7 or #7)' })
  declare request: string

  @flags.boolean({ description: 'Do not ask for confirmation (needed without a terminal)' })
  declare force: boolean

  protected async perform() {
    const found = await findRequestArg(this.request)
    await this.confirmOrRefuse({
      force: this.force,
      summary: [
        `Payment request #${found.id}: ${formatAmount(found.amount, found.currency)} to ` +
          `${found.employerEmail}, due ${found.dueDate.toISODate()}.`,
      ],
      question: `Cancel payment request #${found.id}?`,
      flagHint: 'cancel it',
    })
    await voidPaymentRequest(found.id, actors.admin(this.actor))
    this.logger.success(`Payment request #${found.id} is canceled: its link now says so.`)
  }
}
