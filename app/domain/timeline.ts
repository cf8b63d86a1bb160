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
  return event.message
}
