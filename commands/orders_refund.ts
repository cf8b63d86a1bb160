import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { ConsoleCommand } from '#services/console_command'
import {
  REFUND_REASONS,
  findOrderArg,
  parseAmountFlag,
  parseLineFlag,
  plainArg,
  refundValidator,
} from '#services/console_inputs'
import { ConsoleRefusal } from '#services/console_command'
import Payment from '#models/payment'
import { formatAmount } from '#money/amounts'
import User from '#models/user'
import {
  previewRefundOf,
  refundOrder,
  refundPayment,
  type RefundOptions,
  type RefundPreview,
  type RefundResult,
} from '#actions/refunds/refund_order'
import { linesOf } from '#actions/orders/order_parts'
import type { RefundTarget } from '#actions/refunds/refund_target'
import { refuseRefundDuringChargeback } from '#actions/disputes/refund_guard'

/**
 * Refunds a captured order from the console. The refund row is written before
 * Stripe is called and its key comes from the row; the order's refunded total
 * follows Stripe's charge through the same path as the charge.refunded webhook.
 */
export default class OrdersRefund extends ConsoleCommand {
  static commandName = 'orders:refund'
  static description = 'Refund a captured order, fully or partially, to the employer’s card'
  static help = [
    'Who pays: by default the contractor gives back their share of the refund',
    '(reverse_transfer) and the platform its fee (refund_application_fee), both',
    'in proportion to the amount refunded.',
    '  --keep-fee             the platform keeps its fee; the contractor gives',
    '                         back the whole amount',
    '  --no-reverse-transfer  the platform pays the whole refund; the contractor',
    '                         keeps their money',
    '',
    "When the contractor's Stripe balance cannot cover giving back their share,",
    'Stripe refuses the whole refund: nothing is refunded and the command says',
    'so. The fallback is explicit:',
    "  --platform-covers      then refund from the platform's balance and record",
    "                         the contractor's share as a debit they owe; collect",
    '                         it later with contractors:debit <contractor>',
    '                         --collect=<debit id>',
    '',
    'Stripe settles what is left of the transfer and the fee on the refund of',
    'everything left. After refunds that did not take their share (made with',
    '--no-reverse-transfer, --keep-fee, --platform-covers or on the Dashboard)',
    "that would be more than this refund's share: it is refused, or made",
    'platform-covered with --platform-covers (the contractor owes their share).',
    '',
    'Orders of several lines (one charge on the platform, a transfer per line):',
    'name the line with --line=<id> (see orders:show). The contractor gives back',
    "their share of that line's transfer (in proportion; the refund of the rest",
    'of the line settles the cents) and the platform pays the rest of the',
    'refund. --keep-fee, --no-reverse-transfer and --platform-covers work as above.',
    '',
    'Never more than what is left: captured - refunded - refunds still pending',
    '(for a line: its amount - its refunds).',
    '',
    'Payment requests: refund one of a request’s payments with --payment=<id>',
    '(see payment-requests:show), or its PaymentIntent id (pi_…) in place of the',
    'order. It is a destination charge: who pays works as for a one-line order.',
    '',
    'Re-runs: a pending or succeeded refund of the same amount on the same order',
    '(and line) is taken to be this command run again: a pending one is completed (never',
    'sent twice), a succeeded one is reported and nothing is done. To refund the',
    'same amount a second time on purpose, add --repeat.',
  ]

  static options: CommandOptions = { startApp: true }

  @args.string({
    description: 'Order number (42 or #42) or its PaymentIntent id (pi_…); omitted with --payment',
    required: false,
  })
  declare order?: string

  @flags.string({
    description: 'A payment request’s payment to refund (its id; see payment-requests:show)',
  })
  declare payment?: string

  @flags.string({
    description: "Amount to refund in the currency's units (12.34); everything left if omitted",
  })
  declare amount?: string

  @flags.string({ description: `Why: ${REFUND_REASONS.join(' | ')}` })
  declare reason?: string

  @flags.boolean({ description: 'The platform keeps its fee (no refund_application_fee)' })
  declare keepFee: boolean

  @flags.boolean({
    description: 'The contractor gives back their share (reverse_transfer; default)',
    default: true,
    showNegatedVariantInHelp: true,
  })
  declare reverseTransfer: boolean

  @flags.boolean({
    description:
      "If the contractor's balance cannot cover their share: the platform pays, the contractor owes a debit",
  })
  declare platformCovers: boolean

  @flags.boolean({
    description: 'Refund again an amount an earlier refund of this order already had',
  })
  declare repeat: boolean

  @flags.string({
    description: 'The line to refund (orders with several lines; see orders:show)',
  })
  declare line?: string

  @flags.boolean({ description: 'Do not ask for confirmation (needed without a terminal)' })
  declare force: boolean

  protected async perform() {
    const { reason } = await refundValidator.validate({ reason: this.reason })
    const { target, currency } = await this.target()
    // Stripe refuses a refund under a chargeback (charge_disputed): said before anything else
    await refuseRefundDuringChargeback(target)
    const options: RefundOptions = {
      lineId: parseLineFlag(this.line),
      actor: this.actor,
      amount: this.amount === undefined ? undefined : parseAmountFlag(this.amount, currency),
      reason: reason ?? null,
      reverseTransfer: this.reverseTransfer !== false,
      refundApplicationFee: !this.keepFee,
      platformCovers: Boolean(this.platformCovers),
      repeat: Boolean(this.repeat),
    }
    const preview = await previewRefundOf(target, options)
    const money = (value: number) => formatAmount(value, currency)
    const label = preview.subject.label

    if (preview.kind === 'existing' && preview.refund.status === 'succeeded') {
      this.logger.info(
        `Refund #${preview.refund.id} of ${money(preview.refund.amount)} on ${label} ` +
          `already succeeded (${preview.refund.stripeRefundId}): nothing was done. To refund ` +
          `${money(preview.refund.amount)} again, add --repeat.`
      )
      return
    }

    const amount = preview.kind === 'existing' ? preview.refund.amount : preview.amount
    await this.confirmOrRefuse({
      force: this.force,
      summary: await this.summary(preview),
      question: `Refund ${money(amount)} of ${label}?`,
      flagHint: 'refund',
    })

    const result =
      target.kind === 'order'
        ? await refundOrder(target.orderId, options)
        : await refundPayment(target.paymentId, options)
    this.report(result, label)
  }

  /**
   * What is refunded: --payment=<id> (a payment request's payment), or the
   * order argument (an order, or a PaymentIntent: a request payment's too)
   */
  private async target(): Promise<{ target: RefundTarget; currency: string }> {
    if (this.payment !== undefined) {
      if (this.order !== undefined) {
        throw new ConsoleRefusal('Give an order or --payment, not both.')
      }
      const match = /^#?(\d{1,9})$/.exec(plainArg(this.payment, '--payment'))
      const payment = match ? await Payment.find(Number(match[1])) : null
      if (!match) {
        throw new ConsoleRefusal('--payment must be a payment number (7 or #7).')
      }
      if (!payment) {
        throw new ConsoleRefusal(`Payment #${match[1]} does not exist.`)
      }
      return { target: { kind: 'payment', paymentId: payment.id }, currency: payment.currency }
    }
    if (this.order === undefined) {
      throw new ConsoleRefusal('Say what to refund: an order (42, #42, pi_…) or --payment=<id>.')
    }
    const value = plainArg(this.order, 'order argument')
    if (/^pi_[A-Za-z0-9]+$/.test(value)) {
      const payment = await Payment.findBy('stripePaymentIntentId', value)
      if (payment?.paymentRequestId) {
        return { target: { kind: 'payment', paymentId: payment.id }, currency: payment.currency }
      }
    }
    const order = await findOrderArg(value)
    return { target: { kind: 'order', orderId: order.id }, currency: order.currency }
  }

  private async summary(preview: RefundPreview) {
    const { order, payment, subject } = preview
    const money = (value: number) => formatAmount(value, subject.currency)
    const employer = await User.findOrFail(payment.employerId)
    const lines = order ? await linesOf(order.id) : []
    const line = preview.kind === 'new' ? preview.line : null
    const contractorIds = line
      ? [line.contractorId]
      : subject.contractorId
        ? [subject.contractorId]
        : lines.map((candidate) => candidate.contractorId)
    const contractors = await User.query().whereIn('id', contractorIds)
    const what =
      line && payment.flow === 'charge'
        ? `line #${line.id} “${line.title}” of ${subject.label}`
        : subject.label.charAt(0).toUpperCase() + subject.label.slice(1)
    // A line's figures are its own: its price out of what the payment captured
    const captured =
      line && payment.flow === 'charge'
        ? `${money(line.amount)} of the ${money(payment.amountCaptured)}`
        : money(payment.amountCaptured)
    const out = [
      `${what} (payment ${payment.status.replaceAll('_', ' ')}): ${captured} captured from ` +
        `${employer.email} for ${contractors.map((user) => user.email).join(', ')}, ` +
        `${money(preview.refunded)} refunded` +
        (preview.pending ? `, ${money(preview.pending)} pending` : '') +
        `, ${money(preview.left)} left (${payment.stripePaymentIntentId}).`,
    ]
    if (preview.kind === 'existing') {
      out.push(
        `Refund #${preview.refund.id} of ${money(preview.refund.amount)} from an earlier run is ` +
          'still pending: it is completed (looked up on Stripe, sent with its own idempotency key if it never arrived).'
      )
      return out
    }
    let who: string
    if (preview.covered && preview.share) {
      who =
        "the platform pays all of it (Stripe would take back more than the contractor's share: " +
        'earlier refunds of this order did not take theirs) and the contractor owes their ' +
        `${money(preview.share.owed)} share as a debit`
    } else if (!preview.reverseTransfer) {
      who = 'the platform pays all of it; the contractor keeps what they were paid'
    } else if (preview.share && payment.flow === 'charge') {
      who =
        `the contractor gives back ${money(preview.share.reversal)} of their transfer` +
        (preview.amount > preview.share.reversal
          ? ` and the platform pays the other ${money(preview.amount - preview.share.reversal)}`
          : '')
    } else if (preview.share) {
      who =
        `the contractor gives back ${money(preview.share.reversal)}` +
        (preview.refundApplicationFee
          ? ` and the platform its ${money(preview.share.feeRefund)} fee share` +
            ` (the contractor loses ${money(preview.share.owed)})`
          : ', the platform keeps its fee')
    } else {
      who = 'the contractor gives back their share'
    }
    out.push(`Refund ${money(preview.amount)} to ${employer.email}: ${who}.`)
    if (this.platformCovers && preview.reverseTransfer) {
      out.push(
        "If the contractor's balance cannot cover their share, the platform pays all of it and " +
          'the share is recorded as a debit the contractor owes.'
      )
    }
    return out
  }

  private report(result: RefundResult, label: string) {
    const { refund, payment } = result
    const money = (value: number) => formatAmount(value, payment.currency)
    if (result.refusedAttempt) {
      this.logger.warning(
        `Refund #${result.refusedAttempt.id} was refused: the contractor's Stripe balance cannot ` +
          'cover giving back their share. The platform covers it.'
      )
    }
    const done = result.resumed
      ? `Refund #${refund.id} (from an earlier run)`
      : `Refund #${refund.id}`
    if (result.outcome === 'already_done') {
      this.logger.info(
        `Refund #${refund.id} of ${money(refund.amount)} on ${label} already succeeded ` +
          `(${refund.stripeRefundId}): nothing was done.`
      )
    } else if (result.outcome === 'pending') {
      this.logger.success(
        `${done} of ${money(refund.amount)} on ${label} is accepted by Stripe and pending ` +
          `(${refund.stripeRefundId}); stripe:reconcile records its outcome.`
      )
    } else {
      this.logger.success(
        `${done} of ${money(refund.amount)} on ${label} succeeded (${refund.stripeRefundId}): ` +
          `the payment is ${payment.status.replaceAll('_', ' ')}, ${money(payment.amountRefunded)} of ` +
          `${money(payment.amountCaptured)} refunded.`
      )
    }
    if (result.debit) {
      this.logger.warning(
        `Debit #${result.debit.id}: the contractor owes ${money(result.debit.amount)} (their share). ` +
          `Collect it with: node ace contractors:debit ${result.debit.contractorId} --collect=${result.debit.id}`
      )
    }
  }
}
