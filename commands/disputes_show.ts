import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import type { DateTime } from 'luxon'
import { NEEDS_RESPONSE_STATUSES } from '#models/dispute'
import type { EvidenceFields } from '#models/dispute_action'
import { ConsoleCommand } from '#services/console_command'
import { fittedTable } from '#services/console_table'
import { adminZone, daysLeft, formatForAdmin } from '#services/admin_time'
import { businessNow } from '#services/clock'
import { formatAmount } from '#money/amounts'
import { disputeReasonWords, disputeStatusLabel } from '#domain/dispute_words'
import { disputeDetails, findDisputeArg } from '#actions/disputes/dispute_details'

function evidenceWords(evidence: EvidenceFields | null) {
  if (!evidence || Object.keys(evidence).length === 0) {
    return 'the evidence staged earlier'
  }
  return Object.entries(evidence)
    .map(([field, value]) =>
      typeof value === 'string'
        ? `${field} (${value.length} characters)`
        : `${field}: ${value.name} (${value.type}, ${Math.ceil(value.size / 1024)} KB, ${value.id})`
    )
    .join('; ')
}

/** One dispute: amounts, due date in the admin's zone, evidence sent, shares taken and given back */
export default class DisputesShow extends ConsoleCommand {
  static commandName = 'disputes:show'
  static description =
    'Show one dispute: due date (your time zone) and days left, evidence sent, contractor shares'

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Dispute number (5 or #5) or its Stripe id (du_… / dp_…)' })
  declare dispute: string

  @flags.boolean({ description: 'JSON instead of tables (amounts in minor units, times in UTC)' })
  declare json: boolean

  @flags.boolean({ description: 'Print every table cell whole, wider than the terminal' })
  declare wide: boolean

  protected async perform() {
    const found = await findDisputeArg(this.dispute)
    const {
      dispute,
      payment,
      lines,
      reversals,
      debits,
      returns,
      actions,
      lineOfReversal,
      lineTitle,
    } = await disputeDetails(found)
    const money = (value: number) => formatAmount(value, dispute.currency)
    const zone = adminZone()
    const now = await businessNow()
    const when = (value: DateTime | null) => (value ? formatForAdmin(value, zone) : '')

    if (this.json) {
      const iso = (value: DateTime | null) => value?.toUTC().toISO() ?? null
      this.printJson({
        id: dispute.id,
        stripe_dispute_id: dispute.stripeDisputeId,
        stripe_charge_id: dispute.stripeChargeId,
        order_id: dispute.orderId,
        payment_request_id: dispute.paymentRequestId,
        payment_id: dispute.paymentId,
        flow: payment.flow,
        amount: dispute.amount,
        currency: dispute.currency,
        reason: dispute.reason,
        status: dispute.status,
        inquiry: dispute.inquiry,
        due_by: iso(dispute.dueBy),
        time_zone: zone.zone,
        time_zone_source: zone.source,
        has_evidence: dispute.hasEvidence,
        evidence_submission_count: dispute.evidenceSubmissionCount,
        evidence_submitted_at: iso(dispute.evidenceSubmittedAt),
        outcome: dispute.outcome,
        closed_at: iso(dispute.closedAt),
        balance_currency: dispute.balanceCurrency,
        withdrawn_amount: dispute.withdrawnAmount,
        withdrawn_fee: dispute.withdrawnFee,
        reinstated_amount: dispute.reinstatedAmount,
        reinstated_fee: dispute.reinstatedFee,
        recovery: dispute.recovery,
        fee_paid_by: dispute.feePaidBy,
        settled: dispute.settledAt !== null,
        lines: lines.map((line) => ({
          line_id: line.orderLineId,
          title: line.orderLineId === null ? lineTitle(line) : line.line.title,
          contractor: line.contractor.email,
          amount: line.amount,
          share: line.share,
          fee_share: line.feeShare,
        })),
        reversals: reversals.map((row) => ({
          id: row.id,
          line_id: lineOfReversal(row),
          transfer_id: row.transferId,
          amount: row.amount,
          status: row.status,
          stripe_reversal_id: row.stripeReversalId,
          failure_message: row.failureMessage,
        })),
        debits: debits.map((row) => ({
          id: row.id,
          line_id: row.orderLineId,
          amount: row.amount,
          status: row.status,
          stripe_id: row.stripeId,
        })),
        returns: returns.map((row) => ({
          id: row.id,
          contractor: row.contractor.email,
          amount: row.amount,
          status: row.status,
          stripe_transfer_id: row.stripeTransferId,
          failure_message: row.failureMessage,
        })),
        requests: actions.map((action) => ({
          id: action.id,
          kind: action.kind,
          submit: action.submit,
          evidence: action.evidence,
          status: action.status,
          failure_message: action.failureMessage,
          initiated_by: action.initiatedBy,
          created_at: iso(action.createdAt),
        })),
      })
      return
    }

    const table = fittedTable(this, this.wide)
    table.head([`Dispute #${dispute.id}`, disputeStatusLabel(dispute.status)])
    table.row(['Stripe', `${dispute.stripeDisputeId} on ${dispute.stripeChargeId}`])
    table.row([
      'Payment',
      `#${payment.id} (${payment.flow})` +
        (dispute.orderId
          ? ` of order #${dispute.orderId}`
          : dispute.paymentRequestId
            ? ` of payment request #${dispute.paymentRequestId}`
            : ''),
    ])
    table.row(['Disputed', `${money(dispute.amount)} ${dispute.currency.toUpperCase()}`])
    table.row(['Reason', `${dispute.reason}: ${disputeReasonWords(dispute.reason)}`])
    if (dispute.dueBy) {
      const open = NEEDS_RESPONSE_STATUSES.includes(dispute.status)
      table.row([
        'Evidence due',
        `${when(dispute.dueBy)}` + (open ? ` (${daysLeft(dispute.dueBy, now)})` : ''),
      ])
    }
    table.row([
      'Evidence',
      dispute.evidenceSubmissionCount > 0
        ? `submitted ${dispute.evidenceSubmissionCount} time(s), last ${when(dispute.evidenceSubmittedAt)}`
        : dispute.hasEvidence
          ? 'staged on Stripe, not submitted yet'
          : 'none yet',
    ])
    if (dispute.withdrawnAt) {
      const currency = dispute.balanceCurrency ?? dispute.currency
      table.row([
        'Withdrawn',
        `${formatAmount(dispute.withdrawnAmount, currency)} + ${formatAmount(dispute.withdrawnFee, currency)} dispute fee, ${when(dispute.withdrawnAt)}`,
      ])
    }
    if (dispute.reinstatedAt) {
      const currency = dispute.balanceCurrency ?? dispute.currency
      table.row([
        'Reinstated',
        `${formatAmount(dispute.reinstatedAmount, currency)}` +
          (dispute.reinstatedFee ? ` + ${formatAmount(dispute.reinstatedFee, currency)} fee` : '') +
          `, ${when(dispute.reinstatedAt)}`,
      ])
    }
    if (dispute.outcome) {
      table.row(['Outcome', `${dispute.outcome.replaceAll('_', ' ')}, ${when(dispute.closedAt)}`])
    }
    table.row([
      'Recovery',
      dispute.recovery
        ? `${dispute.recovery} (dispute fee paid by ${dispute.feePaidBy})`
        : 'not decided yet (when the funds are withdrawn)',
    ])
    table.row([
      'Times',
      `${zone.zone} (${zone.source === 'TZ' ? 'from TZ' : "the system's time zone; set TZ to change it"})`,
    ])
    table.render()

    if (lines.length > 0) {
      const lineTable = fittedTable(this, this.wide)
      lineTable.head(['Line', 'Contractor', 'Disputed part', 'Share', 'Taken back', 'Given back'])
      for (const line of lines) {
        const taken = [
          ...reversals
            .filter((row) => lineOfReversal(row) === line.orderLineId)
            .map((row) => `reversal #${row.id} ${money(row.amount)} ${row.status}`),
          ...debits
            .filter((row) => row.orderLineId === line.orderLineId)
            .map((row) => `debit #${row.id} ${money(row.amount)} ${row.status}`),
        ]
        const returned = returns
          .filter((row) => row.contractorId === line.contractorId)
          .map((row) => `transfer #${row.id} ${money(row.amount)} ${row.status}`)
        lineTable.row([
          lineTitle(line),
          line.contractor.email,
          money(line.amount),
          line.share === null
            ? ''
            : money(line.share) + (line.feeShare ? ` + ${money(line.feeShare)} fee` : ''),
          taken.join(', '),
          returned.join(', '),
        ])
      }
      lineTable.render()
    }

    if (actions.length > 0) {
      const requests = fittedTable(this, this.wide)
      requests.head(['Request', 'What', 'Status', 'By', 'When'])
      for (const action of actions) {
        requests.row([
          `#${action.id} ${action.kind === 'accept' ? 'accept' : action.submit ? 'submit' : 'stage'}`,
          action.kind === 'accept' ? 'accept the dispute' : evidenceWords(action.evidence),
          action.status + (action.failureMessage ? `: ${action.failureMessage}` : ''),
          action.initiatedBy,
          when(action.createdAt),
        ])
      }
      requests.render()
    }
  }
}
