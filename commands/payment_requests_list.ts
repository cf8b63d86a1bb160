import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import PaymentRequest from '#models/payment_request'
import User from '#models/user'
import { ConsoleCommand } from '#services/console_command'
import { fittedTable } from '#services/console_table'
import { listRequestsValidator } from '#services/console_request_inputs'
import { formatAmount } from '#money/amounts'
import { REQUEST_STATUS_LABELS } from '#domain/payment_request_summary'
import { listRequests } from '#actions/payment_requests/request_view'

/** Payment requests, newest first, as a table or JSON */
export default class PaymentRequestsList extends ConsoleCommand {
  static commandName = 'payment-requests:list'
  static description = 'List payment requests (newest first), as a table or JSON'

  static options: CommandOptions = { startApp: true }

  @flags.string({
    description:
      'Only requests with one of these statuses (comma-separated): open, partially_paid, paid, overdue, void',
  })
  declare status?: string

  @flags.string({ description: 'At most this many requests (1 to 1000)', default: '50' })
  declare limit: string

  @flags.boolean({ description: 'JSON instead of a table (amounts in minor units)' })
  declare json: boolean

  @flags.boolean({ description: 'Print every table cell whole, wider than the terminal' })
  declare wide: boolean

  protected async perform() {
    const filters = await listRequestsValidator.validate({
      status: this.status
        ?.split(',')
        .map((status) => status.trim())
        .filter(Boolean),
      limit: this.limit,
    })
    const statuses = filters.status ?? []
    // The status is derived from payments (one place): filtered after it is derived
    const all = await listRequests(
      PaymentRequest.query()
        .if(statuses.length === 1 && statuses[0] === 'void', (query) =>
          query.where('status', 'void')
        )
        .if(statuses.length > 0 && !statuses.includes('void'), (query) =>
          query.where('status', 'open')
        )
        .orderBy('id', 'desc')
    )
    const rows = all
      .filter((row) => statuses.length === 0 || statuses.includes(row.status))
      .slice(0, filters.limit)
    const users = await User.query().whereIn(
      'id',
      rows.map((row) => row.request.contractorId)
    )
    const emailOf = (id: number) => users.find((user) => user.id === id)?.email ?? `user #${id}`

    if (this.json) {
      this.printJson(
        rows.map(({ request, totals, status }) => ({
          id: request.id,
          status,
          contractor: emailOf(request.contractorId),
          employer: request.employerEmail,
          amount: request.amount,
          currency: request.currency,
          paid: totals.paid,
          processing: totals.inFlight,
          refunded: totals.refunded,
          balance_due: status === 'void' ? 0 : totals.balanceDue,
          minimum_payment: request.minimumPayment,
          due_date: request.dueDate.toISODate(),
          created_at: request.createdAt.toISO(),
        }))
      )
      return
    }
    if (rows.length === 0) {
      this.logger.info('No payment request matches.')
      return
    }
    const table = fittedTable(this, this.wide)
    table.head([
      'Request',
      'Status',
      'Amount',
      'Paid',
      'Balance due',
      'Due',
      'Contractor',
      'Employer',
    ])
    for (const { request, totals, status } of rows) {
      const money = (value: number) => formatAmount(value, request.currency)
      table.row([
        `#${request.id}`,
        REQUEST_STATUS_LABELS[status],
        money(request.amount),
        money(totals.paid) + (totals.inFlight ? ` (+${money(totals.inFlight)} processing)` : ''),
        money(status === 'void' ? 0 : totals.balanceDue),
        request.dueDate.toISODate()!,
        emailOf(request.contractorId),
        request.employerEmail,
      ])
    }
    table.render()
  }
}
