import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import User from '#models/user'
import type Payment from '#models/payment'
import { actors } from '#domain/actor'
import { DomainError } from '#exceptions/domain_error'
import { ConsoleCommand } from '#services/console_command'
import { parseAmountFlag } from '#services/console_inputs'
import { findRequestArg, parsePaymentMethodFlag } from '#services/console_request_inputs'
import { formatAmount } from '#money/amounts'
import { platformFee } from '#money/fees'
import { requireStripeCustomer } from '#actions/billing/ensure_customer'
import {
  amountProblem,
  payRequest,
  payerOf,
  resendRequestPayment,
} from '#actions/payment_requests/pay_request'
import { savedMethodOf } from '#actions/payment_requests/payment_methods'
import { requestState } from '#actions/payment_requests/request_parts'

/**
 * Pays (part of) a payment request on the employer's behalf, with a card or
 * bank account they saved: the same action as the employer's payment form
 * (the request's lock, the balance and the minimum, a destination charge
 * with the platform fee, the receipt mailed), audited as console:<user>.
 */
export default class PaymentRequestsPay extends ConsoleCommand {
  static commandName = 'payment-requests:pay'
  static description = "Pay a payment request on the employer's behalf with a method they saved"
  static help = [
    'The employer asked the platform to pay with a card or bank account they',
    'saved: --payment-method=<pm id> (one of theirs) or default (their default',
    'card). The amount is decimal text in the request’s currency, at most the',
    'balance due and at least the request’s minimum. The payment is charged',
    'off session; a bank debit is recorded as authorized offline (by phone).',
    '',
    'Re-runs: a payment of the same amount whose answer Stripe never gave is',
    'completed (looked up on Stripe, sent again with its own key), never made twice.',
  ]

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Payment request number (7 or #7)' })
  declare request: string

  @flags.string({ description: "Amount in the request's currency (12.34)" })
  declare amount?: string

  @flags.string({
    description: 'A PaymentMethod the employer saved (pm_…), or default (their default card)',
  })
  declare paymentMethod?: string

  @flags.boolean({ description: 'Do not ask for confirmation (needed without a terminal)' })
  declare force: boolean

  protected async perform() {
    const found = await findRequestArg(this.request)
    const amount = parseAmountFlag(this.amount, found.currency)
    const choice = parsePaymentMethodFlag(this.paymentMethod)
    const money = (value: number) => formatAmount(value, found.currency)
    if (found.status === 'void') {
      throw DomainError.conflict(`Payment request #${found.id} was canceled: it cannot be paid.`)
    }
    const employer = await payerOf(found)
    const state = await requestState(found)
    const contractor = await User.findOrFail(found.contractorId)

    const unanswered = state.payments.find(
      (payment) => payment.status === 'pending' && payment.amount === amount
    )
    if (unanswered) {
      await this.confirmOrRefuse({
        force: this.force,
        summary: [
          `Payment #${unanswered.id} of ${money(amount)} on request #${found.id} got no answer ` +
            'from Stripe: it is completed (looked up on Stripe, sent with its own key if it never arrived).',
        ],
        question: `Complete payment #${unanswered.id}?`,
        flagHint: 'complete it',
      })
      const { payment } = await resendRequestPayment(unanswered)
      return this.report(payment, found.id)
    }

    const problem = amountProblem(found, state.totals, amount)
    if (problem) {
      throw DomainError.invalid(`Payment request #${found.id}: ${problem}`)
    }
    const customerId = await requireStripeCustomer(employer)
    const method = await savedMethodOf(employer, customerId, choice)
    const fee = platformFee(amount, found.feePlan)
    await this.confirmOrRefuse({
      force: this.force,
      summary: [
        `Payment request #${found.id} from ${contractor.email} to ${employer.email}: ` +
          `${money(found.amount)}, paid ${money(state.totals.paid)}, balance due ${money(state.totals.balanceDue)}.`,
        `Charge ${money(amount)} to ${employer.email}'s ${method.label}` +
          `${method.type === 'us_bank_account' ? ' (bank debit, authorized by the employer offline)' : ''} ` +
          `on their behalf: platform fee ${money(fee)}, ${contractor.email} receives ${money(amount - fee)}.`,
      ],
      question: `Charge ${money(amount)} for payment request #${found.id}?`,
      flagHint: 'pay',
    })
    const { payment } = await payRequest(found, employer, {
      amount,
      method: { kind: 'saved', paymentMethodId: method.id },
      actor: actors.admin(this.actor),
      mandate: method.type === 'us_bank_account' ? { type: 'offline' } : null,
    })
    this.report(payment, found.id)
  }

  private report(payment: Payment, requestId: number) {
    const money = (value: number) => formatAmount(value, payment.currency)
    switch (payment.status) {
      case 'succeeded':
        this.logger.success(
          `Payment #${payment.id} of ${money(payment.amountCaptured)} on request #${requestId} ` +
            `succeeded (${payment.stripePaymentIntentId}); platform fee ` +
            `${money(payment.applicationFeeAmount ?? 0)}. The receipt is emailed to the employer.`
        )
        return
      case 'processing':
        this.logger.success(
          `Payment #${payment.id} of ${money(payment.amount)} on request #${requestId} is a bank ` +
            `debit, processing (${payment.stripePaymentIntentId}): it counts once it clears.`
        )
        return
      case 'pending':
        throw DomainError.unavailable(
          `Stripe did not answer: payment #${payment.id} of ${money(payment.amount)} stays pending. ` +
            'Run the same command again to complete it (it is never charged twice), or stripe:reconcile --fix.'
        )
      default:
        if (payment.failureCode === 'authentication_required') {
          // Off session: only the cardholder can answer their bank's 3-D Secure
          throw DomainError.declined(
            `Payment #${payment.id} failed: the card's bank asks its holder to authenticate, ` +
              'which cannot be done from the console. Ask the employer to pay from the link, or use another saved method.'
          )
        }
        throw DomainError.conflict(
          `Payment #${payment.id} ${payment.status}: ${payment.failureMessage ?? 'no reason given'}`
        )
    }
  }
}
