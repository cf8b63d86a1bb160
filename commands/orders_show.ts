import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import type { DateTime } from 'luxon'
import PaymentEvent from '#models/payment_event'
import Refund from '#models/refund'
import ContractorDebit from '#models/contractor_debit'
import { ConsoleCommand } from '#services/console_command'
import { findOrderArg } from '#services/console_inputs'
import { formatAmount } from '#money/amounts'

function when(value: DateTime | null) {
  return value ? value.toUTC().toFormat("yyyy-MM-dd HH:mm:ss 'UTC'") : ''
}

/** Everything about one order: amounts, Stripe ids, refunds, debits, timeline */
export default class OrdersShow extends ConsoleCommand {
  static commandName = 'orders:show'
  static description = 'Show one order: amounts, Stripe ids, refunds, debits and its timeline'

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Order number (42 or #42) or its PaymentIntent id (pi_…)' })
  declare order: string

  @flags.boolean({ description: 'JSON instead of tables (amounts in minor units)' })
  declare json: boolean

  protected async perform() {
    const order = await findOrderArg(this.order)
    await order.load((loader) => loader.load('employer').load('contractor').load('service'))
    const [refunds, debits, events] = await Promise.all([
      Refund.query().where('orderId', order.id).orderBy('id'),
      ContractorDebit.query().where('orderId', order.id).orderBy('id'),
      PaymentEvent.query().where('orderId', order.id).orderBy('id'),
    ])
    const money = (value: number | null) =>
      value === null ? '' : formatAmount(value, order.currency)

    if (this.json) {
      this.printJson({
        id: order.id,
        reference: order.reference,
        status: order.status,
        service: { id: order.serviceId, title: order.service.title },
        employer: { id: order.employerId, email: order.employer.email },
        contractor: { id: order.contractorId, email: order.contractor.email },
        amount: order.amount,
        currency: order.currency,
        application_fee_amount: order.applicationFeeAmount,
        amount_captured: order.amountCaptured,
        amount_refunded: order.amountRefunded,
        stripe_payment_intent_id: order.stripePaymentIntentId,
        stripe_charge_id: order.stripeChargeId,
        stripe_transfer_id: order.stripeTransferId,
        hold_expires_at: order.holdExpiresAt?.toISO() ?? null,
        cancellation_reason: order.cancellationReason,
        failure_message: order.failureMessage,
        disputed_at: order.disputedAt?.toISO() ?? null,
        dispute_reason: order.disputeReason,
        created_at: order.createdAt.toISO(),
        refunds: refunds.map((refund) => ({
          id: refund.id,
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

    const details = this.ui.table()
    details.head([`Order #${order.id}`, order.status])
    const rows: [string, string][] = [
      ['Service', `${order.service.title} (#${order.serviceId})`],
      ['Employer', `${order.employer.email} (user ${order.employerId})`],
      ['Contractor', `${order.contractor.email} (user ${order.contractorId})`],
      ['Amount', `${money(order.amount)} ${order.currency.toUpperCase()}`],
      ['Platform fee', money(order.applicationFeeAmount)],
      ['Contractor share', money(order.amount - order.applicationFeeAmount)],
      ['Captured', money(order.amountCaptured)],
      ['Refunded', money(order.amountRefunded)],
      ['Held until', order.isHeld ? when(order.holdExpiresAt) : ''],
      ['PaymentIntent', order.stripePaymentIntentId ?? ''],
      ['Charge', order.stripeChargeId ?? ''],
      ['Transfer', order.stripeTransferId ?? ''],
    ]
    if (order.cancellationReason) rows.push(['Cancellation', order.cancellationReason])
    if (order.failureMessage) rows.push(['Failure', order.failureMessage])
    if (order.disputedAt)
      rows.push(['Disputed', `${when(order.disputedAt)} ${order.disputeReason ?? ''}`])
    for (const row of rows) {
      details.row(row)
    }
    details.render()

    if (refunds.length > 0) {
      const table = this.ui.table()
      table.head(['Refund', 'Amount', 'Status', 'Who pays', 'Stripe', 'By', 'When'])
      for (const refund of refunds) {
        const who = refund.contractorOwes
          ? `platform (contractor owes ${money(refund.contractorOwes)})`
          : refund.reverseTransfer
            ? refund.refundApplicationFee
              ? 'contractor + platform fee'
              : 'contractor (fee kept)'
            : 'platform'
        table.row([
          `#${refund.id}`,
          money(refund.amount),
          refund.status + (refund.failureMessage ? `: ${refund.failureMessage}` : ''),
          who,
          refund.stripeRefundId ?? '',
          refund.initiatedBy,
          when(refund.createdAt),
        ])
      }
      table.render()
    }

    if (debits.length > 0) {
      const table = this.ui.table()
      table.head(['Debit', 'Amount', 'Status', 'Reason', 'Stripe', 'By', 'When'])
      for (const debit of debits) {
        table.row([
          `#${debit.id}`,
          money(debit.amount),
          debit.status,
          debit.reason,
          debit.stripeId ?? '',
          debit.initiatedBy,
          when(debit.createdAt),
        ])
      }
      table.render()
    }

    const timeline = this.ui.table()
    timeline.head(['When', 'Event', 'Status', 'Amount', 'Actor', 'Stripe', 'Note'])
    for (const event of events) {
      timeline.row([
        when(event.createdAt),
        event.type,
        event.fromStatus || event.toStatus
          ? `${event.fromStatus ?? ''} → ${event.toStatus ?? ''}`
          : '',
        money(event.amount),
        event.actor,
        event.stripeId ?? '',
        event.message ?? '',
      ])
    }
    timeline.render()
  }
}
