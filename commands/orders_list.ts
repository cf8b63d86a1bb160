import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import Order from '#models/order'
import OrderLine from '#models/order_line'
import Payment, { DEAD_STATUSES } from '#models/payment'
import Transfer from '#models/transfer'
import { ConsoleCommand } from '#services/console_command'
import { findUserByEmail, listOrdersValidator } from '#services/console_inputs'
import { formatAmount } from '#money/amounts'
import { orderStatus } from '#domain/order_summary'
import { fittedTable } from '#services/console_table'

/** Orders, newest first, as a table or JSON */
export default class OrdersList extends ConsoleCommand {
  static commandName = 'orders:list'
  static description = 'List orders (newest first), as a table or JSON'

  static options: CommandOptions = { startApp: true }

  @flags.string({
    description:
      'Only orders whose payment or a line has one of these statuses (comma-separated), e.g. authorized,delivered',
  })
  declare status?: string

  @flags.string({ description: 'Only orders of this employer (email)' })
  declare employer?: string

  @flags.string({ description: 'Only orders with a line of this contractor (email)' })
  declare contractor?: string

  @flags.string({ description: 'At most this many orders (1 to 1000)', default: '50' })
  declare limit: string

  @flags.boolean({ description: 'JSON instead of a table (amounts in minor units)' })
  declare json: boolean

  @flags.boolean({ description: 'Print every table cell whole, wider than the terminal' })
  declare wide: boolean

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
    const statuses = filters.status ?? []

    const orders = await Order.query()
      .if(employer, (query) => query.where('employerId', employer!.id))
      .if(contractor, (query) =>
        query.whereIn(
          'id',
          OrderLine.query().where('contractorId', contractor!.id).select('orderId')
        )
      )
      .if(statuses.length, (query) =>
        query.where((inner) =>
          inner
            .whereIn(
              'id',
              Payment.query().whereIn('status', statuses).whereNotNull('orderId').select('orderId')
            )
            .orWhereIn('id', OrderLine.query().whereIn('status', statuses).select('orderId'))
        )
      )
      .preload('employer')
      .preload('lines', (query) => query.preload('contractor').orderBy('id'))
      .preload('payments', (query) => query.orderBy('id'))
      .orderBy('id', 'desc')
      .limit(filters.limit)

    const paymentIds = orders.flatMap((order) => order.payments.map((payment) => payment.id))
    const transfers = paymentIds.length
      ? await Transfer.query().whereIn('paymentId', paymentIds)
      : []
    const rows = orders.map((order) => {
      const payment =
        order.payments.find((candidate) => !DEAD_STATUSES.includes(candidate.status)) ??
        order.payments.at(-1) ??
        null
      return {
        order,
        payment,
        status: orderStatus(order.lines, payment, 'admin', undefined, transfers),
      }
    })

    if (this.json) {
      this.printJson(
        rows.map(({ order, payment, status }) => ({
          id: order.id,
          status: status.label,
          total: order.total,
          currency: order.currency,
          employer: order.employer.email,
          lines: order.lines.map((line) => ({
            id: line.id,
            title: line.title,
            contractor: line.contractor.email,
            amount: line.amount,
            fee_amount: line.feeAmount,
            status: line.status,
          })),
          payment: payment && {
            id: payment.id,
            flow: payment.flow,
            method_type: payment.methodType,
            status: payment.status,
            amount_captured: payment.amountCaptured,
            amount_refunded: payment.amountRefunded,
            capture_before: payment.captureBefore?.toISO() ?? null,
            stripe_payment_intent_id: payment.stripePaymentIntentId,
          },
          created_at: order.createdAt.toISO(),
        }))
      )
      return
    }
    if (rows.length === 0) {
      this.logger.info('No order matches.')
      return
    }
    // The lines and the employer give way before the status
    const table = fittedTable(this, this.wide).cutFirst([4, 5, 3])
    table.head(['Order', 'Status', 'Total', 'Payment', 'Lines', 'Employer'])
    for (const { order, payment, status } of rows) {
      table.row([
        `#${order.id}`,
        status.label,
        formatAmount(order.total, order.currency),
        payment
          ? `${payment.status} (${payment.flow}${payment.methodType === 'us_bank_account' ? ', bank' : ''})`
          : 'none',
        order.lines.map((line) => `#${line.id} ${line.status} ${line.contractor.email}`).join(', '),
        order.employer.email,
      ])
    }
    table.render()
  }
}
