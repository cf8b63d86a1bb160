import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import Order from '#models/order'
import { ConsoleCommand } from '#services/console_command'
import { findUserByEmail, listOrdersValidator } from '#services/console_inputs'
import { formatAmount } from '#money/amounts'

/** Orders, newest first, as a table or JSON */
export default class OrdersList extends ConsoleCommand {
  static commandName = 'orders:list'
  static description = 'List orders (newest first), as a table or JSON'

  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Only these statuses (comma-separated), e.g. captured,refunded' })
  declare status?: string

  @flags.string({ description: 'Only orders of this employer (email)' })
  declare employer?: string

  @flags.string({ description: 'Only orders of this contractor (email)' })
  declare contractor?: string

  @flags.string({ description: 'At most this many orders (1 to 1000)', default: '50' })
  declare limit: string

  @flags.boolean({ description: 'JSON instead of a table (amounts in minor units)' })
  declare json: boolean

  protected async perform() {
    const filters = await listOrdersValidator.validate({
      status: this.status
        ?.split(',')
        .map((status) => status.trim())
        .filter(Boolean),
      employer: this.employer,
      contractor: this.contractor,
      limit: this.limit,
    })
    const employer = filters.employer ? await findUserByEmail(filters.employer, 'employer') : null
    const contractor = filters.contractor
      ? await findUserByEmail(filters.contractor, 'contractor')
      : null

    const orders = await Order.query()
      .if(filters.status?.length, (query) => query.whereIn('status', filters.status!))
      .if(employer, (query) => query.where('employerId', employer!.id))
      .if(contractor, (query) => query.where('contractorId', contractor!.id))
      .preload('employer')
      .preload('contractor')
      .orderBy('id', 'desc')
      .limit(filters.limit)

    if (this.json) {
      this.printJson(
        orders.map((order) => ({
          id: order.id,
          status: order.status,
          amount: order.amount,
          currency: order.currency,
          application_fee_amount: order.applicationFeeAmount,
          amount_captured: order.amountCaptured,
          amount_refunded: order.amountRefunded,
          employer: order.employer.email,
          contractor: order.contractor.email,
          hold_expires_at: order.holdExpiresAt?.toISO() ?? null,
          stripe_payment_intent_id: order.stripePaymentIntentId,
          created_at: order.createdAt.toISO(),
        }))
      )
      return
    }
    if (orders.length === 0) {
      this.logger.info('No order matches.')
      return
    }
    const table = this.ui.table()
    table.head([
      'Order',
      'Status',
      'Amount',
      'Fee',
      'Employer',
      'Contractor',
      'Held until',
      'PaymentIntent',
    ])
    for (const order of orders) {
      table.row([
        `#${order.id}`,
        order.status,
        formatAmount(order.amount, order.currency),
        formatAmount(order.applicationFeeAmount, order.currency),
        order.employer.email,
        order.contractor.email,
        order.isHeld && order.holdExpiresAt
          ? order.holdExpiresAt.toUTC().toFormat("yyyy-MM-dd HH:mm 'UTC'")
          : '',
        order.stripePaymentIntentId ?? '',
      ])
    }
    table.render()
  }
}
