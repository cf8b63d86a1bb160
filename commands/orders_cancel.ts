import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import User from '#models/user'
import { LINE_STATES } from '#models/order_line'
import { actors } from '#domain/actor'
import { ConsoleCommand } from '#services/console_command'
import {
  CANCELLATION_REASONS,
  cancelValidator,
  findOrderArg,
  parseLineFlag,
} from '#services/console_inputs'
import { formatAmount } from '#money/amounts'
import { cancelLines } from '#actions/orders/cancel_line'
import { linesOf, livePaymentOf } from '#actions/orders/order_parts'

/**
 * Cancels an order's open lines from the console, through the same action as
 * the employer's cancel: a hold is released (nothing is charged); a charge's
 * lines are refunded from the platform.
 */
export default class OrdersCancel extends ConsoleCommand {
  static commandName = 'orders:cancel'
  static description = 'Cancel an order (or one line): a hold is released, a charged line refunded'
  static help = [
    "One-line card orders: the hold on the employer's card is released and",
    'nothing is charged. Orders paid at once (several lines, bank debits): each',
    "open line is canceled and its price refunded from the platform's balance.",
    'Approved work cannot be canceled: refund it with orders:refund.',
  ]

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Order number (42 or #42) or its PaymentIntent id (pi_…)' })
  declare order: string

  @flags.string({ description: 'Only this line (see orders:show)' })
  declare line?: string

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
    const lineId = parseLineFlag(this.line)
    const [lines, payment, employer] = await Promise.all([
      linesOf(order.id),
      livePaymentOf(order.id),
      User.findOrFail(order.employerId),
    ])
    const chosen = lines.filter(
      (line) =>
        (lineId === null || line.id === lineId) && LINE_STATES.can(line.status, 'cancel', 'admin')
    )
    if (chosen.length === 0 || !payment) {
      // Refused with the state table's own words
      await cancelLines(order.id, lineId, actors.admin(this.actor), { reason })
      return
    }
    const money = (value: number) => formatAmount(value, order.currency)
    const amount = chosen.reduce((sum, line) => sum + line.amount, 0)
    const hold = payment.flow === 'hold'
    await this.confirmOrRefuse({
      force: this.force,
      summary: [
        `Order #${order.id} of ${employer.email} (payment ${payment.status.replaceAll('_', ' ')}, ` +
          `${payment.stripePaymentIntentId ?? 'no PaymentIntent yet'}): ` +
          chosen
            .map((line) => `#${line.id} “${line.title}” ${money(line.amount)} (${line.status})`)
            .join(', ') +
          '.',
        hold
          ? `Release the ${money(amount)} hold (nothing is charged), reason: ${reason}.`
          : `Cancel ${chosen.length === 1 ? 'it' : 'them'} and refund ${money(amount)} to the employer from the platform.`,
      ],
      question: hold
        ? `Release the ${money(amount)} hold on order #${order.id}?`
        : `Cancel and refund ${money(amount)} on order #${order.id}?`,
      flagHint: hold ? 'release the hold' : 'cancel',
    })

    const { driven } = await cancelLines(order.id, lineId, actors.admin(this.actor), { reason })
    const unanswered = driven.find((write) => write.outcome.kind === 'unknown')
    const refused = driven.find((write) => write.outcome.kind === 'refused')
    if (refused && refused.outcome.kind === 'refused') {
      this.fail(`Stripe refused: ${refused.outcome.error.message}`)
      return
    }
    if (unanswered) {
      this.fail(
        `Order #${order.id} canceled, but Stripe did not answer: the ${hold ? 'release' : 'refund'} ` +
          'stays pending and is sent again with the same key (re-run, or stripe:reconcile --fix).'
      )
      return
    }
    const after = await livePaymentOf(order.id)
    this.logger.success(
      hold
        ? `Order #${order.id} canceled: the ${money(amount)} hold is released (${after?.stripePaymentIntentId}).`
        : `Order #${order.id}: ${chosen.length} line(s) canceled, ${money(amount)} refunded to the employer.`
    )
  }
}
