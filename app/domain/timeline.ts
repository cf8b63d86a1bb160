import type PaymentEvent from '#models/payment_event'
import type { Viewer } from '#domain/order_summary'

/*
| An order's audit lines (payment_events) in plain words, for its page.
| Internal steps (a capture asked for, a refund written before it is sent)
| are left out: people see what happened to the work and the money.
*/

const WORDS: Record<string, string> = {
  'order.placed': 'Order placed',
  'payment.requires_action': 'The bank asked for authentication',
  'payment.processing': 'Bank payment started: it usually takes 4 business days',
  'payment.authorized': 'Amount held on the card',
  'payment.succeeded': 'Payment collected',
  'payment.partially_refunded': 'Partly refunded',
  'payment.refunded': 'Refunded in full',
  'payment.canceled': 'Hold released: nothing was charged',
  'payment.failed': 'Payment failed',
  'payment.capture_refused': 'The payment could not be captured',
  'payment.disputed': 'The employer’s bank opened a dispute',
  'line.accepted': 'Accepted by the contractor',
  'line.declined': 'Declined by the contractor',
  'line.delivered': 'Delivered by the contractor',
  'line.approved': 'Approved',
  'line.canceled': 'Canceled',
  'transfer.paid': 'Paid to the contractor',
  'transfer.failed': 'The payment to the contractor failed',
  'transfer.reversed': 'Taken back from the contractor',
  'refund.succeeded': 'Refunded to the employer',
  'refund.failed': 'A refund failed',
  'contractor_debit.owed': 'The contractor owes their share of a refund',
  'contractor_debit.succeeded': 'Debited from the contractor',
  'contractor_debit.canceled': 'The contractor no longer owes it: the dispute was won',
  'dispute.opened': 'The employer’s bank opened a dispute',
  'dispute.funds_withdrawn': 'The bank took the disputed amount back while it decides',
  'dispute.evidence_submitted': 'Crewpay sent its evidence to the bank',
  'dispute.accepted': 'Crewpay accepted the dispute',
  'dispute.warning_under_review': 'The bank is reviewing Crewpay’s answer to its inquiry',
  'dispute.warning_closed': 'The bank closed its inquiry: no chargeback',
  'dispute.needs_response': 'The bank’s inquiry became a chargeback',
  'dispute.under_review': 'The bank is reviewing the dispute',
  'dispute.won': 'Dispute won: the payment stands',
  'dispute.lost': 'Dispute lost: the money went back to the employer',
  'dispute.prevented': 'The dispute was resolved before a chargeback',
  'dispute.appeal_needs_response': 'The dispute can be appealed',
  'dispute.appeal_under_review': 'The bank is reviewing the appeal',
  'dispute.funds_reinstated': 'The bank returned the disputed amount',
  'dispute.share_owed': 'The contractor owes their share of the disputed payment',
  'transfer.returned': 'Given back to the contractor: the dispute was won',
}

/** Audit types shown as they are only to admins */
const INTERNAL = new Set([
  'payment.capture_requested',
  'payment.cancel_requested',
  'refund.requested',
  'refund.pending',
  'transfer.requested',
  'transfer.reversal_failed',
  'contractor_debit.requested',
  'contractor_debit.failed',
  'order.reconciled',
  'refund.recorded',
  'dispute.evidence_staged',
  'dispute.stage_requested',
  'dispute.submit_requested',
  'dispute.accept_requested',
  'dispute.request_refused',
  'dispute.share_requested',
  'transfer.return_requested',
  'transfer.return_failed',
])

export interface TimelineEntry {
  at: PaymentEvent['createdAt']
  text: string
  note: string | null
  amount: number | null
  currency: string | null
}

export function timelineOf(events: PaymentEvent[], viewer: Viewer): TimelineEntry[] {
  const entries: TimelineEntry[] = []
  for (const event of events) {
    if (INTERNAL.has(event.type)) {
      continue
    }
    // The running refunded total repeats what each refund said
    if (event.type === 'payment.partially_refunded' || event.type === 'payment.refunded') {
      if (events.some((other) => other.type === 'refund.succeeded')) {
        continue
      }
    }
    const base = WORDS[event.type] ?? event.type.replaceAll('_', ' ').replace('.', ': ')
    entries.push({
      at: event.createdAt,
      text: base,
      note: noteOf(event, viewer),
      amount: event.amount,
      currency: event.currency,
    })
  }
  return entries
}

function noteOf(event: PaymentEvent, viewer: Viewer) {
  if (!event.message) {
    return null
  }
  if (event.type === 'line.declined') {
    return `Reason: ${event.message}`
  }
  if (event.type.startsWith('refund.') && viewer !== 'admin') {
    return null
  }
  // What Crewpay sent the bank (the evidence) is for admins only
  if (event.type.startsWith('dispute.') && viewer !== 'admin') {
    return null
  }
  return event.message
}
