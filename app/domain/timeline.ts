import type OrderLine from '#models/order_line'
import type Payment from '#models/payment'
import type PaymentEvent from '#models/payment_event'
import type Transfer from '#models/transfer'
import type { Viewer } from '#domain/order_summary'
import type { RefundSplit } from '#domain/order_money'
import { formatAmount } from '#money/amounts'

/*
|--------------------------------------------------------------------------
| An order's audit lines (payment_events) in plain words, for its page
|--------------------------------------------------------------------------
|
| One line per thing that happened, with the amount it moved, said to the
| viewer ("You accepted", "Carla delivered"). Internal steps (a capture
| asked for, a refund written before it is sent, a reversal that is part of
| a refund) are left out: people see what happened to the work and the
| money. A refund says who paid it (order_money.ts).
|
*/

export interface TimelineEntry {
  at: PaymentEvent['createdAt']
  text: string
  note: string | null
  amount: number | null
  currency: string | null
}

/** What the page knows besides the events (all optional: words get plainer without) */
export interface TimelineContext {
  lines?: OrderLine[]
  payments?: Payment[]
  refundSplits?: Map<number, RefundSplit>
  /** To say when a transfer also bore its share of Stripe's fee (STRIPE_FEE_PASSTHROUGH) */
  transfers?: Transfer[]
  /** The employer's name, for a contractor's timeline */
  employerName?: string
}

/** Audit types that are steps of something else, or for admins only */
const INTERNAL = new Set([
  'payment.capture_requested',
  'payment.cancel_requested',
  'payment.cancel_refused',
  'refund.requested',
  'refund.pending',
  'transfer.requested',
  'transfer.reversal_failed',
  'contractor_debit.requested',
  'contractor_debit.failed',
  'order.reconciled',
  'payment.reconciled',
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

const GENERIC: Record<string, string> = {
  'payment.processing': 'Bank payment started: it usually takes 4 business days',
  'payment.partially_refunded': 'Partly refunded',
  'payment.refunded': 'Refunded in full',
  'payment.failed': 'The payment failed',
  'payment.capture_refused': 'The payment could not be captured',
  'payment.disputed': 'The employer’s bank opened a dispute',
  'transfer.failed': 'The payment to the contractor failed',
  'refund.failed': 'A refund failed',
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

function actorKind(event: PaymentEvent) {
  return event.actor.split(':')[0]
}

export function timelineOf(
  events: PaymentEvent[],
  viewer: Viewer,
  context: TimelineContext = {}
): TimelineEntry[] {
  const lines = context.lines ?? []
  const payments = context.payments ?? []
  const splits = context.refundSplits ?? new Map<number, RefundSplit>()
  const severalLines = lines.length > 1
  const hasRefundEvents = events.some((event) => event.type === 'refund.succeeded')
  const lineOf = (event: PaymentEvent) =>
    lines.find((line) => line.id === event.orderLineId) ?? null
  const paymentOf = (event: PaymentEvent) =>
    payments.find((payment) => payment.id === event.paymentId) ?? null
  const money = (amount: number, currency: string | null) =>
    currency ? formatAmount(amount, currency) : String(amount)

  /** "Carla" or "You", and the line's title when the order has several */
  const who = (line: OrderLine | null) => {
    if (viewer === 'contractor') {
      return 'You'
    }
    return line?.contractor?.fullName ?? 'The contractor'
  }
  const what = (line: OrderLine | null) => (line && severalLines ? ` “${line.title}”` : '')

  const entries: TimelineEntry[] = []
  for (const event of events) {
    if (INTERNAL.has(event.type)) {
      continue
    }
    const line = lineOf(event)
    const payment = paymentOf(event)
    let text: string | null = null
    let note: string | null = null
    let amount: number | null = event.amount

    switch (event.type) {
      case 'order.placed':
        text = viewer === 'employer' ? 'You placed the order' : 'Order placed'
        if (context.employerName && viewer !== 'employer') {
          text = `${context.employerName} placed the order`
        }
        note = payment
          ? payment.methodType === 'us_bank_account'
            ? 'paid by bank debit'
            : payment.flow === 'hold'
              ? viewer === 'employer'
                ? 'held on your card until you approve the work'
                : 'held on the card until the work is approved'
              : 'paid by card'
          : null
        break
      case 'payment.requires_action':
        text =
          viewer === 'employer'
            ? 'Your bank asked you to confirm the payment'
            : "The employer's bank asked them to confirm the payment"
        break
      case 'payment.authorized':
        text =
          viewer === 'employer' ? 'Amount held on your card' : "Amount held on the employer's card"
        break
      case 'payment.succeeded':
        text =
          payment?.methodType === 'us_bank_account'
            ? 'Bank payment cleared'
            : payment?.flow === 'hold'
              ? viewer === 'employer'
                ? 'Your card was charged'
                : "The employer's card was charged"
              : 'Payment collected'
        break
      case 'payment.canceled':
        text = 'Hold released: nothing was charged'
        break
      case 'payment.partially_refunded':
      case 'payment.refunded':
        // The running total repeats what each refund said
        if (hasRefundEvents) {
          continue
        }
        text = GENERIC[event.type]
        break
      case 'line.accepted':
        text = `${who(line)} accepted${what(line)}`
        amount = null
        break
      case 'line.declined':
        text = `${who(line)} declined${what(line)}`
        note = event.message ? `Reason: ${event.message}` : null
        amount = null
        break
      case 'line.delivered':
        text = `${who(line)} delivered${what(line)}`
        amount = null
        break
      case 'line.approved': {
        const by = actorKind(event)
        text =
          by === 'system'
            ? `Approved automatically${what(line)}`
            : by === 'console'
              ? `Approved by Crewpay support${what(line)}`
              : viewer === 'employer'
                ? `You approved the work${what(line)}`
                : `The employer approved your work${what(line)}`
        // The settling job says why ("Approved automatically: not approved within 14 days…")
        note =
          by === 'system' ? (event.message?.replace(/^Approved automatically: /, '') ?? null) : null
        amount = null
        break
      }
      case 'line.canceled': {
        const by = actorKind(event)
        text =
          by === 'system'
            ? `Canceled${what(line)}`
            : by === 'console'
              ? `Canceled by Crewpay support${what(line)}`
              : viewer === 'employer'
                ? `You canceled${what(line)}`
                : `The employer canceled${what(line)}`
        // The settling job says why ("Not accepted within 7 days: …")
        note =
          by === 'system'
            ? (event.message ?? (payment?.status === 'failed' ? 'the payment failed' : null))
            : null
        amount = null
        break
      }
      case 'transfer.paid':
        text =
          viewer === 'contractor'
            ? `Paid to you${what(line)}`
            : `Paid to ${line?.contractor?.fullName ?? 'the contractor'}${what(line)}`
        note = context.transfers?.some(
          (transfer) => transfer.id === event.transferId && transfer.stripeFeeShare > 0
        )
          ? payment?.methodType === 'us_bank_account'
            ? 'after the platform fee and a share of the bank debit fee'
            : "after the platform fee and a share of the card processor's fee"
          : 'after the platform fee'
        break
      case 'transfer.reversed':
        // Part of a refund, said on the refund's line
        if (event.refundId !== null && splits.has(event.refundId)) {
          continue
        }
        text = viewer === 'contractor' ? 'Taken back from you' : 'Taken back from the contractor'
        break
      case 'refund.succeeded': {
        const split = event.refundId !== null ? splits.get(event.refundId) : undefined
        text = viewer === 'employer' ? `Refunded to you${what(line)}` : 'Refunded to the employer'
        if (split?.lineClosed) {
          note = 'for work that was not done'
        } else if (split && viewer === 'employer') {
          const parts = []
          if (split.fromContractor > 0) {
            parts.push(
              `${money(split.fromContractor, event.currency)} ${split.owed ? 'owed' : 'given back'} by ${line?.contractor?.fullName ?? lines[0]?.contractor?.fullName ?? 'the contractor'}`
            )
          }
          if (split.fromPlatform > 0) {
            parts.push(`${money(split.fromPlatform, event.currency)} by Crewpay`)
          }
          note = parts.join(', ') || null
        } else if (split && viewer === 'contractor') {
          note =
            split.fromContractor > 0
              ? `you ${split.owed ? 'owe' : 'gave back'} ${money(split.fromContractor, event.currency)}`
              : 'paid by Crewpay: you keep what you were paid'
        }
        break
      }
      case 'contractor_debit.owed':
        text =
          viewer === 'contractor'
            ? 'You owe your share of a refund Crewpay paid'
            : 'The contractor owes their share of a refund'
        break
      case 'contractor_debit.succeeded':
        text = viewer === 'contractor' ? 'Debited from your balance' : 'Debited from the contractor'
        note = viewer === 'contractor' ? event.message : null
        break
      case 'payment.failed':
        text = GENERIC[event.type]
        // The bank's reason is the employer's (shown once, in the page's failure section)
        note = viewer === 'admin' ? event.message : null
        break
      default:
        text = GENERIC[event.type] ?? event.type.replaceAll('_', ' ').replace('.', ': ')
        // What Crewpay sent the bank (the evidence) is for admins only
        note = viewer === 'admin' && event.type.startsWith('dispute.') ? event.message : null
    }
    entries.push({
      at: event.createdAt,
      text,
      note,
      amount,
      currency: event.currency,
    })
  }
  return entries
}
