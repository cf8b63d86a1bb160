import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import User from '#models/user'
import { actors } from '#domain/actor'
import { DomainError } from '#exceptions/domain_error'
import { ConsoleCommand } from '#services/console_command'
import { findOrderArg, parseAmountFlag } from '#services/console_inputs'
import { formatAmount } from '#money/amounts'
import { approveLines } from '#actions/orders/approve_line'
import { previewCapture } from '#actions/payments/preview_capture'
import { livePaymentOf } from '#actions/orders/order_parts'

/**
 * Captures a held order from the console, through the same action as the
 * employer's approval (the capture written on the payment first, sent with
 * the key "payment:<id>:<uuid>:capture", once).
 */
export default class OrdersCapture extends ConsoleCommand {
  static commandName = 'orders:capture'
  static description = 'Capture a held order, fully or partially (the rest of the hold is released)'
  static help = [
    'Charges the held card; the contractor receives the amount less the',
    'platform fee. A partial capture (--amount) recomputes the fee on the',
    'captured amount (the fee plan of the line) and releases the rest of the hold.',
    'An order is captured once: a second run is refused and Stripe is left',
    'untouched.',
  ]

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Order number (42 or #42) or its PaymentIntent id (pi_…)' })
  declare order: string

  @flags.string({
    description: "Amount to capture in the currency's units (12.34); the whole hold if omitted",
  })
  declare amount?: string

  @flags.boolean({ description: 'Do not ask for confirmation (needed without a terminal)' })
  declare force: boolean

  protected async perform() {
    const order = await findOrderArg(this.order)
    const asked =
      this.amount === undefined ? undefined : parseAmountFlag(this.amount, order.currency)
    const preview = await previewCapture(order, asked)
    const { payment, line, amount, fee } = preview
    const [employer, contractor] = await Promise.all([
      User.findOrFail(order.employerId),
      User.findOrFail(line.contractorId),
    ])
    const money = (value: number) => formatAmount(value, order.currency)

    await this.confirmOrRefuse({
      force: this.force,
      summary: [
        `Order #${order.id} (${line.status}): ${money(payment.amount)} held on ` +
          `${employer.email}'s card for ${contractor.email} (${payment.stripePaymentIntentId}).`,
        `Capture ${money(amount)}` +
          (amount < payment.amount
            ? ` and release the other ${money(payment.amount - amount)}`
            : '') +
          `: platform fee ${money(fee)}, the contractor receives ${money(amount - fee)}.`,
      ],
      question: `Capture ${money(amount)} on order #${order.id}?`,
      flagHint: 'capture',
    })

    const approval = await approveLines(order.id, line.id, actors.admin(this.actor), {
      ...(amount < payment.amount ? { amount, fee } : {}),
    })
    const captured = (await livePaymentOf(order.id))!
    if (approval.driven.some((write) => write.outcome.kind === 'unknown')) {
      throw DomainError.unavailable(
        'Stripe did not answer, so the capture may or may not have happened. Run the same ' +
          'command again: it happens once, however many times it is tried.'
      )
    }
    if (!captured.isCaptured) {
      throw DomainError.conflict(
        `Cannot capture the payment: it is ${captured.status.replaceAll('_', ' ')} on Stripe.`
      )
    }
    this.logger.success(
      `Order #${order.id} captured: ${money(captured.amountCaptured)} charged, platform fee ` +
        `${money(captured.applicationFeeAmount ?? fee)}, the contractor receives ` +
        `${money(captured.amountCaptured - (captured.applicationFeeAmount ?? fee))} ` +
        `(${captured.stripePaymentIntentId}).`
    )
  }
}
