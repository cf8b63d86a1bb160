import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import PaymentEvent from '#models/payment_event'
import { ConsoleCommand } from '#services/console_command'
import { findRequestArg } from '#services/console_request_inputs'
import { formatAmount } from '#money/amounts'
import { describeFeePlan } from '#actions/contractors/fee_plans'
import { REQUEST_STATUS_LABELS } from '#domain/payment_request_summary'
import { requestView } from '#actions/payment_requests/request_view'

/** One payment request: figures, payments (with their ids for refunds), timeline */
export default class PaymentRequestsShow extends ConsoleCommand {
  static commandName = 'payment-requests:show'
  static description = 'Show a payment request: its figures, payments and timeline'

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Payment request number (7 or #7)' })
  declare request: string

  @flags.boolean({ description: 'JSON instead of text (amounts in minor units)' })
  declare json: boolean

  protected async perform() {
    const found = await findRequestArg(this.request)
    const page = await requestView(found, 'admin')
    const { request, totals, status, contractor, payments } = page
    const events = await PaymentEvent.query().where('paymentRequestId', request.id).orderBy('id')
    const money = (value: number) => formatAmount(value, request.currency)

    if (this.json) {
      this.printJson({
        id: request.id,
        status,
        contractor: contractor.email,
        employer: request.employerEmail,
        employer_id: request.employerId,
        description: request.description,
        amount: request.amount,
        currency: request.currency,
        paid: totals.paid,
        processing: totals.inFlight,
        refunded: totals.refunded,
        balance_due: status === 'void' ? 0 : totals.balanceDue,
        minimum_payment: request.minimumPayment,
        due_date: request.dueDate.toISODate(),
        fee_plan: request.feePlan,
        payments: payments.map(({ payment }) => ({
          id: payment.id,
          status: payment.status,
          method_type: payment.methodType,
          amount: payment.amount,
          application_fee_amount: payment.applicationFeeAmount,
          amount_captured: payment.amountCaptured,
          amount_refunded: payment.amountRefunded,
          stripe_payment_intent_id: payment.stripePaymentIntentId,
          stripe_charge_id: payment.stripeChargeId,
          created_at: payment.createdAt.toISO(),
        })),
        voided_at: request.voidedAt?.toISO() ?? null,
        created_at: request.createdAt.toISO(),
      })
      return
    }
    this.logger.log(`Payment request #${request.id}: ${REQUEST_STATUS_LABELS[status]}`)
    this.logger.log(
      `  From ${contractor.email} to ${request.employerEmail}, due ${request.dueDate.toISODate()}`
    )
    this.logger.log(`  For: ${request.description.replace(/\n/g, ' / ')}`)
    this.logger.log(
      `  Amount ${money(request.amount)}, paid ${money(totals.paid)}` +
        (totals.inFlight ? `, processing ${money(totals.inFlight)}` : '') +
        (totals.refunded ? `, refunded ${money(totals.refunded)}` : '') +
        `, balance due ${money(status === 'void' ? 0 : totals.balanceDue)}`
    )
    if (request.minimumPayment) {
      this.logger.log(`  Minimum per payment ${money(request.minimumPayment)}`)
    }
    this.logger.log(`  Fee plan: ${describeFeePlan(request.feePlan, request.currency)}`)
    this.logger.log('Payments:')
    if (payments.length === 0) {
      this.logger.log('  none')
    }
    for (const { payment, words, method } of [...payments].reverse()) {
      this.logger.log(
        `  #${payment.id} ${money(payment.amount)} ${payment.status} (${words}), ${method}, ` +
          `fee ${money(payment.applicationFeeAmount ?? 0)}` +
          (payment.amountRefunded ? `, refunded ${money(payment.amountRefunded)}` : '') +
          (payment.stripePaymentIntentId ? ` ${payment.stripePaymentIntentId}` : '')
      )
    }
    this.logger.log('Timeline:')
    for (const event of events) {
      this.logger.log(
        `  ${event.createdAt.toISO()} ${event.type}` +
          (event.amount !== null && event.currency
            ? ` ${formatAmount(event.amount, event.currency)}`
            : '') +
          ` by ${event.actor}` +
          (event.message ? `: ${event.message}` : '')
      )
    }
  }
}
