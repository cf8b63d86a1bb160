import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { HELD_STATUSES } from '#models/order'
import { ConsoleCommand } from '#services/console_command'
import { CANCELLATION_REASONS, cancelValidator, findOrderArg } from '#services/console_inputs'
import { formatAmount } from '#money/amounts'
import { cancelOrder } from '#actions/orders/cancel_order'
import { assertOrderStatus } from '#actions/orders/order_errors'

/**
 * Releases a hold from the console, through the same action as the
 * employer's cancel (row lock, key "order:<id>:<uuid>:cancel").
 */
export default class OrdersCancel extends ConsoleCommand {
  static commandName = 'orders:cancel'
  static description = 'Release the hold of an order that is not captured yet (nothing is charged)'
  static help = [
    "Cancels the PaymentIntent: the hold on the employer's card is released",
    'and nothing is charged. A captured order cannot be canceled: refund it',
    'with orders:refund.',
  ]

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Order number (42 or #42) or its PaymentIntent id (pi_…)' })
  declare order: string

  @flags.string({
    description: `Why: ${CANCELLATION_REASONS.join(' | ')}`,
    default: 'requested_by_customer',
  })
  declare reason: string

  @flags.boolean({ description: 'Do not ask for confirmation (needed without a terminal)' })
  declare force: boolean

  protected async perform() {
    const { reason } = await cancelValidator.validate({ reason: this.reason })
    const order = await findOrderArg(this.order)
    await order.load((loader) => loader.load('employer').load('contractor'))
    assertOrderStatus(order, HELD_STATUSES, 'cancel the order')
    const held = formatAmount(order.amount, order.currency)

    await this.confirmOrRefuse({
      force: this.force,
      summary: [
        `Order #${order.id} (${order.status}): ${held} held on ${order.employer.email}'s card for ` +
          `${order.contractor.email} (${order.stripePaymentIntentId}).`,
        `Release the hold (nothing is charged), reason: ${reason}.`,
      ],
      question: `Release the ${held} hold on order #${order.id}?`,
      flagHint: 'release the hold',
    })

    const canceled = await cancelOrder(order.id, { actor: this.actor, from: HELD_STATUSES, reason })
    this.logger.success(
      `Order #${canceled.id} canceled: the ${held} hold is released (${canceled.stripePaymentIntentId}).`
    )
  }
}
