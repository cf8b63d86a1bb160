import { args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { ConsoleCommand } from '#services/console_command'
import { formatAmount } from '#money/amounts'
import { disputeStatusLabel } from '#domain/dispute_words'
import { findDisputeArg } from '#actions/disputes/dispute_details'
import {
  acceptDispute,
  assertRequestAllowed,
  pendingActionOf,
} from '#actions/disputes/dispute_requests'

/**
 * Accepts a dispute (Stripe's close): a chargeback is lost for good, the
 * money stays with the cardholder; an inquiry is closed. Written before
 * Stripe is called, its key from the row.
 */
export default class DisputesAccept extends ConsoleCommand {
  static commandName = 'disputes:accept'
  static description =
    'Accept a dispute: a chargeback is lost for good (the money stays with the cardholder)'

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Dispute number (5 or #5) or its Stripe id (du_… / dp_…)' })
  declare dispute: string

  @flags.boolean({ description: 'Do not ask for confirmation (needed without a terminal)' })
  declare force: boolean

  protected async perform() {
    const dispute = await findDisputeArg(this.dispute)
    const earlier = await pendingActionOf(dispute)
    if (!earlier) {
      await assertRequestAllowed(dispute, 'accept')
    }
    const money = (value: number) => formatAmount(value, dispute.currency)
    await this.confirmOrRefuse({
      force: this.force,
      summary: [
        `Dispute #${dispute.id} (${dispute.stripeDisputeId}) on order #${dispute.orderId ?? '-'}: ` +
          `${money(dispute.amount)}, ${dispute.reason}, ${disputeStatusLabel(dispute.status)}.`,
        earlier
          ? `Request #${earlier.id} from an earlier run is still pending: it is completed first.`
          : dispute.isInquiry
            ? 'Accepting closes the inquiry; no money moves.'
            : `Accepting closes it as lost, for good: ${money(dispute.amount)} stays with the ` +
              "cardholder, and the contractors' shares taken back are not given back.",
      ],
      question: `Accept dispute #${dispute.id}?`,
      flagHint: 'accept it',
    })
    const result = await acceptDispute(dispute.id, this.actor)
    this.logger.success(
      `${result.resumed ? `Request #${result.action.id} (from an earlier run)` : `Request #${result.action.id}`}: ` +
        `dispute #${result.dispute.id} accepted; it is ${disputeStatusLabel(result.dispute.status).toLowerCase()}.`
    )
  }
}
