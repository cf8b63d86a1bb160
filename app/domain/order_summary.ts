import type Order from '#models/order'
import type OrderLine from '#models/order_line'
import type Payment from '#models/payment'
import type Transfer from '#models/transfer'
import { DEAD_STATUSES } from '#models/payment'
import { formatAmount } from '#money/amounts'
import { formatDate } from '#services/time_zone'

/*
|--------------------------------------------------------------------------
| What an order's status is, in plain words, and who acts next
|--------------------------------------------------------------------------
|
| Derived from its lines and payments, here only: pages, mail and the
| console show these. The tone says what it means for the person looking:
| their turn, waiting on someone else, done, or a problem.
|
*/

/** A payment whose authorization got no answer from Stripe */
export const AUTHORIZATION_UNKNOWN =
  'We could not reach our payment provider, so we do not know yet whether your payment went ' +
  'through. Try again: it never charges twice.'

export type Viewer = 'employer' | 'contractor' | 'admin'
export type Tone = 'your_turn' | 'waiting' | 'done' | 'problem'
export type NextActor = 'employer' | 'contractor' | 'stripe' | 'admin' | null

export interface StatusView {
  /** "Ready for your approval" */
  label: string
  tone: Tone
  /** Who acts next (null: nobody, it is over) */
  next: NextActor
  /** One sentence more, when there is something to explain */
  detail: string | null
}

function turn(viewer: Viewer, actor: NextActor): Tone {
  return actor === viewer ? 'your_turn' : 'waiting'
}

function view(
  label: string,
  tone: Tone,
  next: NextActor,
  detail: string | null = null
): StatusView {
  return { label, tone, next, detail }
}

const NEXT_WORDS: Record<Exclude<NextActor, null>, string> = {
  employer: 'the employer',
  contractor: 'the contractor',
  stripe: 'the payment provider',
  admin: 'Crewpay support',
}

/** "Next: the contractor" */
export function nextWords(status: StatusView, viewer: Viewer) {
  if (!status.next) {
    return null
  }
  return status.next === viewer ? 'You' : NEXT_WORDS[status.next]
}

/**
 * The payment, as its own status (the money side). `amounts` false: without
 * the payment's figures (a contractor sharing the order with others must not
 * learn their prices).
 */
export function paymentStatus(payment: Payment, viewer: Viewer, amounts = true): StatusView {
  const money = (value: number) => (amounts ? `${formatAmount(value, payment.currency)} ` : '')
  switch (payment.status) {
    case 'pending':
      return view(
        'Payment not confirmed yet',
        viewer === 'employer' ? 'your_turn' : 'waiting',
        'employer',
        viewer === 'employer'
          ? AUTHORIZATION_UNKNOWN
          : 'The payment provider has not confirmed the payment yet.'
      )
    case 'requires_action':
      return view(
        viewer === 'employer'
          ? 'Authenticate your payment'
          : 'Waiting for the employer to authenticate',
        turn(viewer, 'employer'),
        'employer',
        'The bank asks the cardholder to confirm this payment.'
      )
    case 'processing': {
      const around = payment.expectedAt ? ` around ${formatDate(payment.expectedAt)}` : ''
      return view(
        'Payment processing — usually 4 business days',
        'waiting',
        'stripe',
        viewer === 'contractor'
          ? `The employer's bank payment has not cleared yet (expected${around || ' in about 4 business days'}). ` +
              'You can accept and start the work; you are paid once it clears.'
          : payment.expectedAt
            ? `The bank debit is expected to clear${around}.`
            : 'The bank debit has not cleared yet.'
      )
    }
    case 'authorized':
      if (payment.pendingAction === 'capture') {
        return view('Capturing the payment', 'waiting', 'stripe')
      }
      if (payment.pendingAction === 'cancel') {
        return view('Releasing the hold', 'waiting', 'stripe')
      }
      return view(`${money(payment.amount)}held on the card`.replace(/^h/, 'H'), 'waiting', null)
    case 'succeeded':
      return view(`${money(payment.amountCaptured)}paid`.replace(/^p/, 'P'), 'done', null)
    case 'partially_refunded':
      return view(
        amounts
          ? `${money(payment.amountCaptured)}paid, ${money(payment.amountRefunded)}refunded`
          : 'Paid, partly refunded',
        'done',
        null
      )
    case 'refunded':
      return view(`${money(payment.amountRefunded)}refunded`.replace(/^r/, 'R'), 'done', null)
    case 'canceled':
      return view(
        payment.cancellationReason === 'automatic' ? 'Hold expired' : 'Hold released',
        'done',
        null,
        'Nothing was charged.'
      )
    case 'failed':
      return view(
        'Payment failed',
        viewer === 'employer' ? 'your_turn' : 'problem',
        'employer',
        // The employer reads the bank's reason once, where the page offers to pay again
        viewer === 'contractor'
          ? "The employer's payment failed: this order is canceled and nothing will be paid for it."
          : viewer === 'admin'
            ? payment.failureMessage
            : null
      )
  }
}

/** A contractor working on an order whose bank debit has not cleared is told so */
function uncleared(payment: Payment | null, viewer: Viewer) {
  return payment?.status === 'processing' && viewer === 'contractor'
    ? "The employer's bank payment has not cleared yet: you are paid once it clears."
    : null
}

/**
 * A line's work and whether its contractor has been paid. `refunded`: what
 * was refunded to the employer on the line (a paid line refunded in full
 * says so rather than "Paid").
 */
export function lineStatus(
  line: OrderLine,
  payment: Payment | null,
  transfer: Transfer | null,
  viewer: Viewer,
  refunded = 0
): StatusView {
  const money = payment ? (value: number) => formatAmount(value, payment.currency) : String
  const paymentDead = payment ? DEAD_STATUSES.includes(payment.status) : false
  const paymentConfirmed =
    payment !== null &&
    ['authorized', 'processing', 'succeeded', 'partially_refunded'].includes(payment.status)

  switch (line.status) {
    case 'requested':
      if (!paymentConfirmed) {
        return view('Waiting for the payment', 'waiting', 'employer')
      }
      return view(
        viewer === 'contractor' ? 'New request: accept or decline' : 'Waiting for the contractor',
        turn(viewer, 'contractor'),
        'contractor'
      )
    case 'accepted':
      return view(
        viewer === 'contractor' ? 'In progress: deliver when done' : 'In progress',
        turn(viewer, 'contractor'),
        'contractor',
        uncleared(payment, viewer)
      )
    case 'delivered':
      if (payment?.pendingAction === 'capture') {
        return view('Approved: capturing the payment', 'waiting', 'stripe')
      }
      return view(
        viewer === 'employer' ? 'Ready for your approval' : 'Delivered: waiting for approval',
        turn(viewer, 'employer'),
        'employer',
        uncleared(payment, viewer)
      )
    case 'approved':
      if (refunded > 0 && (payment?.flow === 'hold' || transfer?.status === 'paid')) {
        return refunded >= line.amount
          ? view('Refunded', 'done', null, `${money(refunded)} back to the employer`)
          : view('Paid, partly refunded', 'done', null, `${money(refunded)} back to the employer`)
      }
      if (payment?.flow === 'hold' || transfer?.status === 'paid') {
        return view(
          'Paid',
          'done',
          null,
          transfer
            ? `${money(line.amount - line.feeAmount - transfer.stripeFeeShare)} to ${viewer === 'contractor' ? 'you' : 'the contractor'}`
            : null
        )
      }
      if (transfer?.status === 'failed') {
        return view(
          'Approved: payment to the contractor failed',
          'problem',
          'admin',
          transfer.failureMessage
        )
      }
      if (payment?.status === 'processing') {
        return view(
          'Approved: paid once the bank payment clears',
          'waiting',
          'stripe',
          viewer === 'contractor' ? "The employer's bank payment has not cleared yet." : null
        )
      }
      return view('Approved: payment on its way', 'waiting', 'stripe')
    case 'declined':
      return view(
        'Declined by the contractor',
        'done',
        null,
        line.declineReason ? `Reason: ${line.declineReason}` : null
      )
    case 'canceled':
      return view(
        paymentDead && payment?.status === 'failed' ? 'Canceled: payment failed' : 'Canceled',
        'done',
        null
      )
  }
}

/** The order as a whole, for lists and headings */
export function orderStatus(
  lines: OrderLine[],
  payment: Payment | null,
  viewer: Viewer,
  viewerId?: number,
  transfers: Transfer[] = []
): StatusView {
  if (!payment) {
    return view('No payment', 'problem', 'admin')
  }
  if (['pending', 'requires_action', 'processing', 'failed'].includes(payment.status)) {
    const money = paymentStatus(payment, viewer, false)
    if (payment.status !== 'processing' || lines.every((line) => line.status === 'requested')) {
      return money
    }
  }
  const mine =
    viewer === 'contractor' && viewerId !== undefined
      ? lines.filter((line) => line.contractorId === viewerId)
      : lines
  const statuses = mine.map((line) =>
    lineStatus(
      line,
      payment,
      transfers.find((transfer) => transfer.orderLineId === line.id) ?? null,
      viewer
    )
  )
  const yours = statuses.find((status) => status.tone === 'your_turn')
  if (yours) {
    return yours
  }
  const problem = statuses.find((status) => status.tone === 'problem')
  if (problem) {
    return problem
  }
  const waiting = statuses.find((status) => status.tone === 'waiting')
  if (waiting) {
    return waiting
  }
  if (payment.status === 'refunded') {
    return view('Refunded', 'done', null)
  }
  if (mine.every((line) => line.status === 'declined')) {
    return view('Declined', 'done', null)
  }
  if (mine.every((line) => line.status === 'declined' || line.status === 'canceled')) {
    return view(
      ['automatic', 'abandoned'].includes(payment.cancellationReason ?? '')
        ? 'Expired'
        : 'Canceled',
      'done',
      null,
      payment.isCaptured ? 'The money was refunded.' : 'Nothing was charged.'
    )
  }
  if (payment.status === 'partially_refunded') {
    return view('Completed, partly refunded', 'done', null)
  }
  return view('Completed', 'done', null)
}

/** The CSS modifier of a tone's badge */
export const TONE_CLASS: Record<Tone, string> = {
  your_turn: 'turn',
  waiting: 'wait',
  done: 'done',
  problem: 'bad',
}

export type { Order }
