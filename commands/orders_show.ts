import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import type { DateTime } from 'luxon'
import PaymentEvent from '#models/payment_event'
import Refund from '#models/refund'
import Transfer from '#models/transfer'
import TransferReversal from '#models/transfer_reversal'
import ContractorDebit from '#models/contractor_debit'
import OrderLine from '#models/order_line'
import Payment, { DEAD_STATUSES } from '#models/payment'
import { ConsoleCommand } from '#services/console_command'
import { findOrderArg } from '#services/console_inputs'
import { formatAmount } from '#money/amounts'
import { describeFeePlan } from '#actions/contractors/fee_plans'
import { orderStatus, paymentStatus } from '#domain/order_summary'
import { paymentMethodLabel } from '#actions/billing/payment_method_label'
import { fittedTable } from '#services/console_table'

function when(value: DateTime | null) {
  return value ? value.toUTC().toFormat("yyyy-MM-dd HH:mm:ss 'UTC'") : ''
}

/** Everything about one order: lines, payments, transfers, refunds, debits, timeline */
export default class OrdersShow extends ConsoleCommand {
  static commandName = 'orders:show'
  static description =
    'Show one order: lines, payments, transfers, refunds, debits and its timeline'

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Order number (42 or #42) or its PaymentIntent id (pi_…)' })
  declare order: string

  @flags.boolean({ description: 'JSON instead of tables (amounts in minor units)' })
  declare json: boolean

  @flags.boolean({ description: 'Print every table cell whole, wider than the terminal' })
  declare wide: boolean

  protected async perform() {
    const order = await findOrderArg(this.order)
    await order.load('employer')
    const [lines, payments, events] = await Promise.all([
      OrderLine.query().where('orderId', order.id).preload('contractor').orderBy('id'),
      Payment.query().where('orderId', order.id).orderBy('id'),
      PaymentEvent.query().where('orderId', order.id).orderBy('id'),
    ])
    const paymentIds = payments.map((payment) => payment.id)
    const [transfers, refunds, debits] = await Promise.all([
      Transfer.query().whereIn('paymentId', paymentIds).orderBy('id'),
      Refund.query().whereIn('paymentId', paymentIds).orderBy('id'),
      ContractorDebit.query().where('orderId', order.id).orderBy('id'),
    ])
    const reversals = transfers.length
      ? await TransferReversal.query()
          .whereIn(
            'transferId',
            transfers.map((transfer) => transfer.id)
          )
          .orderBy('id')
      : []
    const live =
      payments.find((payment) => !DEAD_STATUSES.includes(payment.status)) ?? payments.at(-1) ?? null
    const status = orderStatus(lines, live, 'admin', undefined, transfers)
    const money = (value: number | null) =>
      value === null ? '' : formatAmount(value, order.currency)
    // How each payment is paid: "Bank debit from STRIPE TEST BANK ···· 6789", "Card"
    const methods = new Map(
      await Promise.all(
        payments.map(async (payment) => [payment.id, await paymentMethodLabel(payment)] as const)
      )
    )

    if (this.json) {
      this.printJson({
        id: order.id,
        reference: order.reference,
        status: status.label,
        employer: { id: order.employerId, email: order.employer.email },
        total: order.total,
        currency: order.currency,
        note: order.note,
        created_at: order.createdAt.toISO(),
        lines: lines.map((line) => ({
          id: line.id,
          title: line.title,
          service_id: line.serviceId,
          contractor: { id: line.contractorId, email: line.contractor.email },
          amount: line.amount,
          fee_amount: line.feeAmount,
          fee_plan: line.feePlan,
          status: line.status,
          decline_reason: line.declineReason,
          accepted_at: line.acceptedAt?.toISO() ?? null,
          delivered_at: line.deliveredAt?.toISO() ?? null,
          approved_at: line.approvedAt?.toISO() ?? null,
        })),
        payments: payments.map((payment) => ({
          id: payment.id,
          flow: payment.flow,
          method_type: payment.methodType,
          method: methods.get(payment.id),
          status: payment.status,
          status_words: paymentStatus(payment, 'admin').label,
          pending_action: payment.pendingAction,
          amount: payment.amount,
          amount_captured: payment.amountCaptured,
          amount_refunded: payment.amountRefunded,
          application_fee_amount: payment.applicationFeeAmount,
          stripe_fee: payment.stripeFee,
          capture_before: payment.captureBefore?.toISO() ?? null,
          expected_at: payment.expectedAt?.toISO() ?? null,
          failure_message: payment.failureMessage,
          cancellation_reason: payment.cancellationReason,
          disputed: payment.disputed,
          stripe_payment_intent_id: payment.stripePaymentIntentId,
          stripe_charge_id: payment.stripeChargeId,
        })),
        transfers: transfers.map((transfer) => ({
          id: transfer.id,
          line_id: transfer.orderLineId,
          kind: transfer.kind,
          destination: transfer.destination,
          amount: transfer.amount,
          amount_reversed: transfer.amountReversed,
          stripe_fee_share: transfer.stripeFeeShare,
          status: transfer.status,
          stripe_transfer_id: transfer.stripeTransferId,
          failure_message: transfer.failureMessage,
        })),
        reversals: reversals.map((reversal) => ({
          id: reversal.id,
          transfer_id: reversal.transferId,
          refund_id: reversal.refundId,
          amount: reversal.amount,
          status: reversal.status,
          stripe_reversal_id: reversal.stripeReversalId,
        })),
        refunds: refunds.map((refund) => ({
          id: refund.id,
          payment_id: refund.paymentId,
          line_id: refund.orderLineId,
          cause: refund.cause,
          amount: refund.amount,
          status: refund.status,
          reason: refund.reason,
          reverse_transfer: refund.reverseTransfer,
          refund_application_fee: refund.refundApplicationFee,
          contractor_owes: refund.contractorOwes,
          stripe_refund_id: refund.stripeRefundId,
          failure_message: refund.failureMessage,
          initiated_by: refund.initiatedBy,
          created_at: refund.createdAt.toISO(),
        })),
        debits: debits.map((debit) => ({
          id: debit.id,
          amount: debit.amount,
          status: debit.status,
          reason: debit.reason,
          refund_id: debit.refundId,
          stripe_id: debit.stripeId,
          initiated_by: debit.initiatedBy,
          created_at: debit.createdAt.toISO(),
        })),
        timeline: events.map((event) => ({
          at: event.createdAt.toISO(),
          type: event.type,
          line_id: event.orderLineId,
          payment_id: event.paymentId,
          from_status: event.fromStatus,
          to_status: event.toStatus,
          amount: event.amount,
          actor: event.actor,
          stripe_id: event.stripeId,
          message: event.message,
        })),
      })
      return
    }

    const details = fittedTable(this, this.wide)
    details.head([`Order #${order.id}`, status.label])
    details.row(['Employer', `${order.employer.email} (user ${order.employerId})`])
    details.row(['Total', `${money(order.total)} ${order.currency.toUpperCase()}`])
    details.row(['Placed', when(order.createdAt)])
    if (order.note) details.row(['Note', order.note])
    details.render()

    const lineTable = fittedTable(this, this.wide)
    lineTable.head(['Line', 'Work', 'Contractor', 'Amount', 'Fee (plan)', 'Receives'])
    for (const line of lines) {
      const transfer = transfers.find((candidate) => candidate.orderLineId === line.id)
      lineTable.row([
        `#${line.id} ${line.title}`,
        line.status + (line.declineReason ? `: ${line.declineReason}` : ''),
        line.contractor.email,
        money(line.amount),
        `${money(line.feeAmount)} (${describeFeePlan(line.feePlan, order.currency)})`,
        money(line.amount - line.feeAmount - (transfer?.stripeFeeShare ?? 0)),
      ])
    }
    lineTable.render()

    for (const payment of payments) {
      const table = fittedTable(this, this.wide)
      table.head([
        `Payment #${payment.id}`,
        `${payment.status} (${payment.flow}, ${payment.methodType})`,
      ])
      const rows: [string, string][] = [
        ['Method', methods.get(payment.id) ?? payment.methodType],
        ['Status', paymentStatus(payment, 'admin').label],
        ['Amount', money(payment.amount)],
        ['Captured', money(payment.amountCaptured)],
        ['Refunded', money(payment.amountRefunded)],
        ['PaymentIntent', payment.stripePaymentIntentId ?? ''],
        ['Charge', payment.stripeChargeId ?? ''],
      ]
      if (payment.applicationFeeAmount !== null)
        rows.push(['Platform fee', money(payment.applicationFeeAmount)])
      if (payment.stripeFee !== null) rows.push(["Stripe's fee", money(payment.stripeFee)])
      if (payment.status === 'authorized') rows.push(['Held until', when(payment.captureBefore)])
      if (payment.status === 'processing')
        rows.push(['Expected to clear', when(payment.expectedAt) || 'in about 4 business days'])
      if (payment.pendingAction)
        rows.push(['Being sent', `${payment.pendingAction} by ${payment.pendingActionActor}`])
      if (payment.cancellationReason) rows.push(['Cancellation', payment.cancellationReason])
      if (payment.failureMessage) rows.push(['Failure', payment.failureMessage])
      if (payment.disputed) rows.push(['Disputed', 'yes'])
      for (const row of rows) {
        table.row(row)
      }
      table.render()
    }

    if (transfers.length > 0) {
      const table = fittedTable(this, this.wide)
      table.head(['Transfer', 'Line', 'Amount', 'Reversed', 'Status', 'Stripe'])
      for (const transfer of transfers) {
        table.row([
          `#${transfer.id} (${transfer.kind})`,
          transfer.orderLineId ? `#${transfer.orderLineId}` : '',
          money(transfer.amount),
          money(transfer.amountReversed),
          transfer.status + (transfer.failureMessage ? `: ${transfer.failureMessage}` : ''),
          transfer.stripeTransferId ?? '',
        ])
      }
      table.render()
    }

    if (refunds.length > 0) {
      const table = fittedTable(this, this.wide)
      table.head(['Refund', 'Amount', 'Status', 'Who pays', 'Stripe', 'By'])
      for (const refund of refunds) {
        const reversal = reversals.find((candidate) => candidate.refundId === refund.id)
        const who =
          refund.cause === 'line_canceled'
            ? 'platform (line not done)'
            : refund.contractorOwes
              ? `platform (contractor owes ${money(refund.contractorOwes)})`
              : reversal
                ? `contractor ${money(reversal.amount)} (${reversal.status}) + platform`
                : refund.reverseTransfer
                  ? refund.refundApplicationFee
                    ? 'contractor + platform fee'
                    : 'contractor (fee kept)'
                  : 'platform'
        table.row([
          `#${refund.id}${refund.orderLineId ? ` line #${refund.orderLineId}` : ''}`,
          money(refund.amount),
          refund.status + (refund.failureMessage ? `: ${refund.failureMessage}` : ''),
          who,
          refund.stripeRefundId ?? '',
          refund.initiatedBy,
        ])
      }
      table.render()
    }

    if (debits.length > 0) {
      const table = fittedTable(this, this.wide)
      table.head(['Debit', 'Amount', 'Status', 'Reason', 'Stripe', 'By'])
      for (const debit of debits) {
        table.row([
          `#${debit.id}`,
          money(debit.amount),
          debit.status,
          debit.reason,
          debit.stripeId ?? '',
          debit.initiatedBy,
        ])
      }
      table.render()
    }

    // The note (Stripe ids, messages) gives way first
    const timeline = fittedTable(this, this.wide).cutFirst([5])
    timeline.head(['When', 'Event', 'Status', 'Amount', 'Actor', 'Note'])
    for (const event of events) {
      timeline.row([
        when(event.createdAt),
        event.type,
        event.fromStatus || event.toStatus
          ? `${event.fromStatus ?? ''} → ${event.toStatus ?? ''}`
          : '',
        money(event.amount),
        event.actor,
        [event.stripeId, event.message].filter(Boolean).join(' '),
      ])
    }
    timeline.render()
  }
}
