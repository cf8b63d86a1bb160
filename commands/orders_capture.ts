import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { HELD_STATUSES } from '#models/order'
import { ConsoleCommand } from '#services/console_command'
import { findOrderArg, parseAmountFlag } from '#services/console_inputs'
import { formatAmount } from '#money/amounts'
import { captureOrder, previewCapture } from '#actions/orders/capture_order'

/**
 * Captures a held order from the console, through the same action as the
 * employer's approval (row lock, key "order:<id>:<uuid>:capture").
 */
export default class OrdersCapture extends ConsoleCommand {
  static commandName = 'orders:capture'
  static description = 'Capture a held order, fully or partially (the rest of the hold is released)'
  static help = [
    'Charges the held card; the contractor receives the amount less the',
    'platform fee. A partial capture (--amount) recomputes the fee on the',
    'captured amount and releases the rest of the hold.',
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
    await order.load((loader) => loader.load('employer').load('contractor'))
    const asked =
      this.amount === undefined ? undefined : parseAmountFlag(this.amount, order.currency)
    const { amount, fee } = await previewCapture(order, { from: HELD_STATUSES, amount: asked })
    const money = (value: number) => formatAmount(value, order.currency)

    await this.confirmOrRefuse({
      force: this.force,
      summary: [
        `Order #${order.id} (${order.status}): ${money(order.amount)} held on ` +
          `${order.employer.email}'s card for ${order.contractor.email} (${order.stripePaymentIntentId}).`,
        `Capture ${money(amount)}` +
          (amount < order.amount ? ` and release the other ${money(order.amount - amount)}` : '') +
          `: platform fee ${money(fee)}, the contractor receives ${money(amount - fee)}.`,
      ],
      question: `Capture ${money(amount)} on order #${order.id}?`,
      flagHint: 'capture',
    })

    const captured = await captureOrder(order.id, {
      actor: this.actor,
      from: HELD_STATUSES,
      amount: asked,
    })
    this.logger.success(
      `Order #${captured.id} captured: ${money(captured.amountCaptured)} charged, platform fee ` +
        `${money(captured.applicationFeeAmount)}, the contractor receives ` +
        `${money(captured.amountCaptured - captured.applicationFeeAmount)} ` +
        `(${captured.stripePaymentIntentId}).`
    )
  }
}
