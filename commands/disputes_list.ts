import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import Dispute, { NEEDS_RESPONSE_STATUSES } from '#models/dispute'
import { ConsoleCommand } from '#services/console_command'
import { fittedTable } from '#services/console_table'
import { adminZone, daysLeft, formatForAdmin } from '#services/admin_time'
import { businessNow } from '#services/clock'
import { formatAmount } from '#money/amounts'
import { disputeReasonWords, disputeStatusLabel } from '#domain/dispute_words'
import { parseDisputeStatuses } from '#actions/disputes/dispute_details'

/** Disputes, those needing a response first, as a table or JSON */
export default class DisputesList extends ConsoleCommand {
  static commandName = 'disputes:list'
  static description = 'List disputes (chargebacks and inquiries): status, amount, due date'
  static help = [
    'Disputes waiting for a response come first (soonest due first), then the',
    'others, newest first. Due dates are shown in your time zone: the TZ',
    "environment variable, else the system's (the output says which).",
    '  --status=open | closed | needs_response,under_review,…  (comma-separated)',
  ]

  static options: CommandOptions = { startApp: true }

  @flags.string({
    description:
      'Only these statuses (comma-separated): open, closed, or Stripe statuses such as needs_response',
  })
  declare status?: string

  @flags.boolean({ description: 'JSON instead of a table (amounts in minor units, times in UTC)' })
  declare json: boolean

  @flags.boolean({ description: 'Print every table cell whole, wider than the terminal' })
  declare wide: boolean

  protected async perform() {
    const statuses = parseDisputeStatuses(this.status)
    const disputes = await Dispute.query()
      .if(statuses, (query) => query.whereIn('status', statuses!))
      .orderByRaw(
        `CASE WHEN status IN (${NEEDS_RESPONSE_STATUSES.map((status) => `'${status}'`).join(', ')}) THEN 0 ELSE 1 END`
      )
      .orderByRaw('CASE WHEN status IN (?, ?) THEN due_by END ASC NULLS LAST', [
        ...NEEDS_RESPONSE_STATUSES,
      ])
      .orderBy('id', 'desc')
    const now = await businessNow()

    if (this.json) {
      this.printJson(
        disputes.map((dispute) => ({
          id: dispute.id,
          stripe_dispute_id: dispute.stripeDisputeId,
          order_id: dispute.orderId,
          payment_request_id: dispute.paymentRequestId,
          payment_id: dispute.paymentId,
          amount: dispute.amount,
          currency: dispute.currency,
          reason: dispute.reason,
          status: dispute.status,
          due_by: dispute.dueBy?.toUTC().toISO() ?? null,
          evidence_submission_count: dispute.evidenceSubmissionCount,
          outcome: dispute.outcome,
          withdrawn_amount: dispute.withdrawnAmount,
          withdrawn_fee: dispute.withdrawnFee,
          reinstated_amount: dispute.reinstatedAmount,
          recovery: dispute.recovery,
          settled: dispute.settledAt !== null,
        }))
      )
      return
    }
    if (disputes.length === 0) {
      this.logger.info(statuses ? 'No dispute has that status.' : 'No dispute.')
      return
    }
    const zone = adminZone()
    this.logger.info(
      `Due dates in ${zone.zone} (${zone.source === 'TZ' ? 'from TZ' : "the system's time zone; set TZ to change it"}).`
    )
    const table = fittedTable(this, this.wide)
    table.head(['Dispute', 'Order or request', 'Amount', 'Reason', 'Status', 'Due'])
    for (const dispute of disputes) {
      const due =
        dispute.dueBy && NEEDS_RESPONSE_STATUSES.includes(dispute.status)
          ? `${formatForAdmin(dispute.dueBy, zone)} (${daysLeft(dispute.dueBy, now)})`
          : ''
      table.row([
        `#${dispute.id} ${dispute.stripeDisputeId}`,
        dispute.orderId
          ? `order #${dispute.orderId}`
          : dispute.paymentRequestId
            ? `request #${dispute.paymentRequestId}`
            : `payment #${dispute.paymentId}`,
        formatAmount(dispute.amount, dispute.currency),
        `${dispute.reason}: ${disputeReasonWords(dispute.reason)}`,
        disputeStatusLabel(dispute.status),
        due,
      ])
    }
    table.render()
  }
}
