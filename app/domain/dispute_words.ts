import type Dispute from '#models/dispute'
import type { DisputeStatus } from '#models/dispute'
import type { Viewer } from '#domain/order_summary'
import { formatAmount } from '#money/amounts'

/*
| Disputes in plain words, for order pages and mail: what the bank says
| happened, where the dispute stands, what it means for the person reading.
| Never the evidence.
*/

const REASONS: Record<string, string> = {
  fraudulent: 'the cardholder says they did not make this payment',
  product_not_received: 'the cardholder says the work was not received',
  product_unacceptable: 'the cardholder says the work was not as described',
  duplicate: 'the cardholder says they were charged twice',
  subscription_canceled: 'the cardholder says they had canceled',
  credit_not_processed: 'the cardholder says a promised refund was not made',
  unrecognized: 'the cardholder does not recognize the payment',
  debit_not_authorized: 'the account holder says they did not authorize the bank debit',
  customer_initiated: 'the cardholder asked their bank to reverse it',
  incorrect_account_details: 'the bank says the account details were wrong',
  insufficient_funds: 'the bank says there were not enough funds',
  bank_cannot_process: 'the bank could not process the payment',
  check_returned: 'the bank returned the payment',
  noncompliant: 'the card network says the payment broke its rules',
  general: 'no specific reason was given',
}

/** Why the bank disputes the payment, in plain words */
export function disputeReasonWords(reason: string) {
  return REASONS[reason] ?? 'no specific reason was given'
}

const STATUS_LABELS: Record<DisputeStatus, string> = {
  warning_needs_response: 'Inquiry: response needed',
  warning_under_review: 'Inquiry: being reviewed',
  warning_closed: 'Inquiry closed, no chargeback',
  needs_response: 'Chargeback: response needed',
  under_review: 'Chargeback: evidence submitted, bank reviewing',
  won: 'Won',
  lost: 'Lost',
  prevented: 'Prevented',
  appeal_needs_response: 'Lost, can be appealed',
  appeal_under_review: 'Appeal being reviewed',
}

/** A dispute's status as an admin reads it */
export function disputeStatusLabel(status: DisputeStatus) {
  return STATUS_LABELS[status]
}

export interface DisputeNotice {
  /** success: over in favour of the payment; error: money went back; warning: still open */
  tone: 'success' | 'error' | 'warning'
  text: string
}

/** What the viewer's lines lost and got back in a dispute (contractors) */
export interface ContractorDisputeShare {
  /** The viewer's part of the disputed amount */
  disputed: number
  /** Taken back from them (reversed, or debited) */
  taken: number
  /** Owed by them: their balance could not cover it */
  owed: number
  /** Given back after a win */
  returned: number
  /** Owed, then canceled by a win */
  waived: number
}

/**
 * The sentence an order page shows about a dispute: the employer reads it as
 * the cardholder's side, a contractor about their own lines (amounts are
 * theirs, never the other contractors'). A payment request's pages name the
 * payment, and say what the request counts: a disputed payment stays paid
 * (Stripe keeps the charge succeeded); one whose dispute was lost is marked
 * charged back, the request still counts it as paid (as a refund does not
 * reopen it).
 */
export function disputeNotice(
  dispute: Dispute,
  viewer: Viewer,
  share: ContractorDisputeShare | null,
  about: 'order' | 'request' = 'order'
): DisputeNotice {
  const money = (value: number) => formatAmount(value, dispute.currency)
  const amount = viewer === 'contractor' && share ? share.disputed : dispute.amount
  const reason = disputeReasonWords(dispute.reason)
  const employer = viewer === 'employer'
  const bank = employer ? 'Your bank' : "The employer's bank"
  const request = about === 'request'
  const thisPayment = request ? `payment #${dispute.paymentId}` : 'this payment'
  const stays = request ? 'the payment stays paid.' : 'the money stays with the order.'
  const chargedBack = request
    ? ` Payment #${dispute.paymentId} is marked charged back; the request still counts it as paid.`
    : ''

  switch (dispute.status) {
    case 'warning_needs_response':
    case 'warning_under_review':
      return {
        tone: 'warning',
        text:
          `${bank} asked about ${money(amount)} of ${thisPayment} (${reason}). This is an ` +
          'inquiry, not a chargeback: no money has moved. Crewpay answers the bank' +
          (employer ? '.' : '; nothing is needed from you for now.'),
      }
    case 'warning_closed':
      return {
        tone: 'success',
        text: `${bank} closed its inquiry about ${thisPayment} without a chargeback: nothing changes.`,
      }
    case 'won':
      return {
        tone: 'success',
        text:
          `The dispute about ${money(amount)} of ${thisPayment} was decided in favour of the ` +
          `payment: ${stays}` +
          (share && share.taken > 0
            ? share.returned >= share.taken
              ? ` The ${money(share.taken)} taken back from you was given back.`
              : ` The ${money(share.taken)} taken back from you is being given back.`
            : share && share.waived > 0
              ? ` You no longer owe ${money(share.waived)}.`
              : ''),
      }
    case 'lost':
    case 'appeal_needs_response':
    case 'appeal_under_review':
      return {
        tone: 'error',
        text:
          (employer
            ? `Your bank decided the dispute in your favour: ${money(amount)} went back to you.`
            : `The employer's bank decided the dispute in their favour: ${money(amount)} went back to them.`) +
          chargedBack +
          (share && share.taken > 0
            ? ` The ${money(share.taken)} taken back from you is not given back.`
            : share && share.owed > 0
              ? ` You owe ${money(share.owed)} of what you were paid.`
              : ''),
      }
    case 'prevented':
      return {
        tone: 'success',
        text: `${bank}'s dispute about ${thisPayment} was resolved before it became a chargeback.`,
      }
    default: {
      const open =
        `${bank} disputed ${money(amount)} of ${thisPayment} (${reason}) and took the money ` +
        'back while it decides. ' +
        (dispute.status === 'under_review'
          ? 'Crewpay has answered; the bank is reviewing the dispute.'
          : 'Crewpay answers the bank.') +
        (request ? ' The request counts the payment as paid meanwhile.' : '')
      if (employer) {
        return { tone: 'warning', text: `${open} Your bank will tell you what it decides.` }
      }
      let mine = ' Your payout is not affected.'
      if (share && share.taken > 0) {
        mine = ` ${money(share.taken)} of what you were paid was taken back meanwhile; it is given back if the dispute is won.`
      } else if (share && share.owed > 0) {
        mine = ` You owe ${money(share.owed)} of what you were paid meanwhile (your Stripe balance could not cover it); it is canceled if the dispute is won.`
      }
      return { tone: 'warning', text: open + mine }
    }
  }
}
