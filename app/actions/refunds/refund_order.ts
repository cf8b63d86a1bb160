import type Stripe from 'stripe'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Order from '#models/order'
import OrderLine from '#models/order_line'
import Payment from '#models/payment'
import Refund from '#models/refund'
import Transfer from '#models/transfer'
import TransferReversal from '#models/transfer_reversal'
import ContractorDebit from '#models/contractor_debit'
import UserProfile from '#models/user_profile'
import { DomainError } from '#exceptions/domain_error'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount, toDecimalText } from '#money/amounts'
import {
  contractorShareOfRefund,
  destinationRefundShare,
  type DestinationChargeState,
  type DestinationRefundShare,
} from '#money/shares'
import { stripe } from '#stripe/client'
import { describeStripeError } from '#stripe/errors'
import { capturedAmountRefunded } from '#stripe/payment_intents'
import { linesOf, livePaymentOf } from '#actions/orders/order_parts'
import {
  driveRefundTarget,
  paymentOfTarget,
  refundSubjectOf,
  withRefundTargetLock,
  type RefundSubject,
  type RefundTarget,
} from '#actions/refunds/refund_target'
import { connectedBalance } from '#actions/contractors/debit_contractor'
import {
  CONTRACTOR_BALANCE_SHORT,
  STRIPE_HAS_LESS_LEFT,
  describeRefundSplit,
  type RefundReason,
} from '#actions/refunds/refund_records'

/*
|--------------------------------------------------------------------------
| Refunds of captured payments (from the console)
|--------------------------------------------------------------------------
|
| What is refunded (`RefundTarget`, refund_target.ts): an order (its live
| payment), or a payment request's payment, which is a destination charge
| refunded as the hold flow is.
|
| 1. Stripe's charge is read (hold flow, to know what Stripe would take back
|    from the contractor), without any lock.
| 2. Under the order's lock: what is left to refund (captured − refunded −
|    refunds still pending, and for a line what is left of it) is checked,
|    and the refund row written pending — with, in the charge flow, the
|    reversal of the contractor's share of the line's transfer. Committed
|    before anything is sent.
| 3. `driveOrder` (`driveRefundTarget`) sends the reversal, then the refund, each with the key of
|    its row, and records the answers.
|
| Who pays:
| - hold (destination charge): by default the contractor gives back their
|   share (reverse_transfer) and the platform its fee (refund_application_
|   fee), both in proportion, computed by Stripe; the refund of everything
|   left settles the remainders (refused when earlier refunds did not take
|   their share: see `destinationRefundShare`'s overreach).
| - charge (separate transfers): the contractor gives back their share of
|   the line's transfer (a reversal, in proportion to the line amount, the
|   running total settling every rounding remainder) and the platform pays
|   the rest (its fee share, and Stripe's fee unless passed through).
| - keep fee: the contractor gives back the whole amount; no reversal: the
|   platform pays it all.
| When the contractor's balance cannot cover their share, Stripe refuses:
| nothing is refunded, unless `platformCovers`: the platform then refunds
| alone and the contractor's share is recorded as an owed debit.
|
| Re-runs: a refund of the same amount (on the same line) that is pending or
| succeeded is the same request run again: a pending one is completed (sent
| again with its own key), a succeeded one is reported. `repeat` makes a
| second, identical refund on purpose. A refund still pending blocks new ones.
|
*/

export interface RefundOptions {
  actor: string
  /** Minor units; everything left to refund when omitted */
  amount?: number
  reason?: RefundReason | null
  /** The contractor gives back their share of the refund (default true) */
  reverseTransfer?: boolean
  /** The platform gives back its fee share (default true; only with reverseTransfer) */
  refundApplicationFee?: boolean
  /** When the contractor's balance cannot cover their share: the platform refunds, they owe a debit */
  platformCovers?: boolean
  /** Make this refund even if one of the same amount was already made */
  repeat?: boolean
  /** The line refunded (charge flow; optional for an order of one line) */
  lineId?: number | null
}

export interface RefundResult {
  /** made now, found done by an earlier run, or accepted by Stripe but not final yet */
  outcome: 'succeeded' | 'already_done' | 'pending'
  /** A pending refund of an earlier run was completed (rather than a new one made) */
  resumed: boolean
  refund: Refund
  payment: Payment
  /** The owed debit the platform-covers fallback recorded */
  debit: ContractorDebit | null
  /** The attempt Stripe refused because the contractor's balance could not cover it */
  refusedAttempt: Refund | null
}

/** What a refund request comes to before anything is written */
export type RefundDecision =
  | { kind: 'existing'; refund: Refund; left: number; refunded: number; pending: number }
  | {
      kind: 'new'
      amount: number
      left: number
      refunded: number
      pending: number
      reverseTransfer: boolean
      refundApplicationFee: boolean
      /**
       * What the contractor gives back: the reversal of their transfer, the
       * fee the platform gives back with it (hold flow) and their loss
       * (reversal − fee refund). Null without reversal, or when Stripe could
       * not be asked.
       */
      share: { reversal: number; feeRefund: number; owed: number } | null
      /** Why the platform covers it: Stripe would take more than the share, or refused for the balance */
      covered: 'overreach' | 'refused' | null
      contractorOwes: number | null
      /** The line refunded (charge flow) and the transfer its share comes back from */
      line: OrderLine | null
      transfer: Transfer | null
    }

export type RefundPreview = RefundDecision & {
  /** The order refunded (null for a payment request's payment) */
  order: Order | null
  subject: RefundSubject
  payment: Payment
}

interface Request {
  amount?: number
  reason: RefundReason | null
  reverseTransfer: boolean
  refundApplicationFee: boolean
  platformCovers: boolean
  repeat: boolean
  lineId: number | null
  /** The attempt Stripe refused for the contractor's balance: this is its platform-covered fallback */
  refused?: Refund
}

function requestOf(options: RefundOptions): Request {
  if (
    options.amount !== undefined &&
    (!Number.isSafeInteger(options.amount) || options.amount <= 0)
  ) {
    throw DomainError.invalid('The amount to refund must be more than zero.')
  }
  const reverseTransfer = options.reverseTransfer ?? true
  return {
    amount: options.amount,
    reason: options.reason ?? null,
    reverseTransfer,
    // Without a reversal the platform pays the whole refund: refunding its fee
    // too would pay the contractor on top
    refundApplicationFee: reverseTransfer && (options.refundApplicationFee ?? true),
    platformCovers: Boolean(options.platformCovers),
    repeat: Boolean(options.repeat),
    lineId: options.lineId ?? null,
  }
}

function sum(refunds: Refund[]) {
  return refunds.reduce((total, refund) => total + refund.amount, 0)
}

/** Captured − refunded − pending, with what each part is */
function refundableOf(payment: Payment, refunds: Refund[]) {
  const succeeded = sum(refunds.filter((refund) => refund.status === 'succeeded'))
  const pending = sum(refunds.filter((refund) => refund.status === 'pending'))
  // Refunds made on Stripe's Dashboard have no row but are in amount_refunded
  const refunded = Math.max(payment.amountRefunded, succeeded)
  return { refunded, pending, left: Math.max(0, payment.amountCaptured - refunded - pending) }
}

/**
 * The refund an earlier run of the same request made: same amount, pending
 * or succeeded, a pending one first. For "everything left", only a pending one
 * that takes what is left (a crash or a timeout left it).
 */
function findSameRefund(refunds: Refund[], amount: number | undefined, left: number) {
  const newestFirst = [...refunds].reverse()
  if (amount === undefined) {
    return left > 0 ? null : (newestFirst.find((refund) => refund.status === 'pending') ?? null)
  }
  return (
    newestFirst.find((refund) => refund.status === 'pending' && refund.amount === amount) ??
    newestFirst.find((refund) => refund.status === 'succeeded' && refund.amount === amount) ??
    null
  )
}

/** The charge of a hold-flow payment as Stripe has it: what is left of it, its transfer and fee */
export async function loadChargeState(payment: Payment): Promise<DestinationChargeState> {
  if (!payment.stripeChargeId) {
    throw DomainError.conflict(`Payment #${payment.id} has no charge on Stripe to refund.`)
  }
  const charge = await stripe().charges.retrieve(payment.stripeChargeId, {
    expand: ['transfer', 'application_fee'],
  })
  const transfer = charge.transfer as Stripe.Transfer | null
  const fee = charge.application_fee as Stripe.ApplicationFee | null
  let refunds = 0
  for await (const refund of stripe().refunds.list({ charge: charge.id, limit: 100 })) {
    if (refund.status !== 'failed' && refund.status !== 'canceled') {
      refunds += 1
    }
  }
  return {
    captured: charge.amount_captured,
    refundable: charge.amount_captured - capturedAmountRefunded(charge),
    transfer: transfer
      ? { amount: transfer.amount, left: transfer.amount - transfer.amount_reversed }
      : null,
    fee: fee ? { amount: fee.amount, left: fee.amount - fee.amount_refunded } : null,
    refunds,
  }
}

/** What is left of a charge-flow payment's charge on Stripe (no transfer or fee of its own) */
async function platformChargeState(payment: Payment): Promise<DestinationChargeState> {
  if (!payment.stripeChargeId) {
    throw DomainError.conflict(`Payment #${payment.id} has no charge on Stripe to refund.`)
  }
  const charge = await stripe().charges.retrieve(payment.stripeChargeId)
  return {
    captured: charge.amount_captured,
    refundable: charge.amount_captured - capturedAmountRefunded(charge),
    transfer: null,
    fee: null,
    refunds: 0,
  }
}

/** The hold flow's contractor share of refunding `amount`, as Stripe's charge is now */
export async function destinationShareOf(
  payment: Payment,
  amount: number,
  refundApplicationFee: boolean
) {
  return destinationRefundShare(await loadChargeState(payment), amount, refundApplicationFee)
}

function overreachMessage(subject: RefundSubject, amount: number, share: DestinationRefundShare) {
  const money = (value: number) => formatAmount(value, subject.currency)
  const settled = share.overreach!
  const parts: string[] = []
  if (settled.reversal > share.reversal) {
    parts.push(
      `reverse ${money(settled.reversal)} of the contractor's transfer (their share: ${money(share.reversal)})`
    )
  }
  if (settled.feeRefund > share.feeRefund) {
    parts.push(
      `give back ${money(settled.feeRefund)} of the platform's fee (its share: ${money(share.feeRefund)})`
    )
  }
  const instead = [
    `--platform-covers (the platform refunds, the contractor owes their ${money(share.owed)} share)`,
    ...(settled.reversal > share.reversal ? [] : ['--keep-fee (the platform keeps its fee)']),
    '--no-reverse-transfer (the platform pays)',
  ]
  return (
    `Refunding the ${money(amount)} left on ${subject.label} with reverse_transfer would ` +
    `${parts.join(' and ')}: Stripe settles what is left on the refund of everything left, and ` +
    `earlier refunds did not take their share. Nothing was refunded. Use ${instead.join(' or ')}.`
  )
}

interface Scope {
  subject: RefundSubject
  payment: Payment
  /** Refunds counted against what is left: the payment's, or the line's (charge flow) */
  refunds: Refund[]
  paymentRefunds: Refund[]
  line: OrderLine | null
  transfer: Transfer | null
}

/** The payment (and line) a request refunds, read with `client` (the locking transaction) */
async function scopeOf(
  target: RefundTarget,
  request: Request,
  trx?: TransactionClientContract
): Promise<Scope> {
  const client = trx ? { client: trx } : {}
  if (target.kind === 'payment') {
    // A payment request's payment: one destination charge, no lines
    if (request.lineId !== null) {
      throw DomainError.invalid('--line is for orders; a payment request has no lines.')
    }
    const payment = await paymentOfTarget(target, trx)
    const subject = await refundSubjectOf(target, payment)
    const paymentRefunds = await Refund.query(client).where('paymentId', payment.id).orderBy('id')
    return { subject, payment, refunds: paymentRefunds, paymentRefunds, line: null, transfer: null }
  }
  const order = await Order.findOrFail(target.orderId, client)
  const subject = await refundSubjectOf(target, null)
  const payment = await livePaymentOf(order.id, trx)
  if (!payment) {
    throw DomainError.conflict(`Order #${order.id} has no payment to refund.`)
  }
  const paymentRefunds = await Refund.query(client).where('paymentId', payment.id).orderBy('id')
  const lines = await linesOf(order.id, trx)
  let line: OrderLine | null = null
  if (request.lineId !== null) {
    line = lines.find((candidate) => candidate.id === request.lineId) ?? null
    if (!line) {
      throw DomainError.notFound(`Order #${order.id} has no line #${request.lineId}.`)
    }
  } else if (payment.flow === 'charge') {
    if (lines.length !== 1) {
      throw DomainError.invalid(
        `Order #${order.id} has ${lines.length} lines: say which one to refund with --line=<id> ` +
          `(${lines.map((candidate) => `#${candidate.id} ${candidate.title}`).join(', ')}).`
      )
    }
    line = lines[0]
  }
  if (payment.flow === 'hold' || !line) {
    return { subject, payment, refunds: paymentRefunds, paymentRefunds, line, transfer: null }
  }
  const transfer = await Transfer.query(client).where('orderLineId', line.id).first()
  return {
    subject,
    payment,
    refunds: paymentRefunds.filter((refund) => refund.orderLineId === line!.id),
    paymentRefunds,
    line,
    transfer,
  }
}

/**
 * What a request means for the payment (or line) as it is: the same refund
 * from an earlier run, or a new amount within what is left.
 */
function planRefund(scope: Scope, request: Request) {
  const { payment, line } = scope
  const order = scope.subject
  const paymentLeft = refundableOf(payment, scope.paymentRefunds)
  const lineTotals = line
    ? {
        refunded: sum(scope.refunds.filter((refund) => refund.status === 'succeeded')),
        pending: sum(scope.refunds.filter((refund) => refund.status === 'pending')),
      }
    : null
  const refunded = lineTotals ? lineTotals.refunded : paymentLeft.refunded
  const pending = lineTotals ? lineTotals.pending : paymentLeft.pending
  const left = lineTotals
    ? Math.max(0, Math.min(line!.amount - refunded - pending, paymentLeft.left))
    : paymentLeft.left
  const subject =
    line && payment.flow === 'charge' ? `line #${line.id} of ${order.label}` : order.label

  if (!request.repeat && !request.refused) {
    const earlier = findSameRefund(scope.refunds, request.amount, left)
    if (earlier) {
      return { kind: 'existing' as const, refund: earlier, left, refunded, pending }
    }
    const unfinished = scope.paymentRefunds.find((refund) => refund.status === 'pending')
    if (unfinished) {
      // Only an admin's refund is completed by running it again (with its line, charge flow)
      const lineFlag =
        payment.flow === 'charge' && unfinished.orderLineId
          ? `--line=${unfinished.orderLineId} `
          : ''
      const rerun =
        unfinished.cause === 'admin'
          ? `re-run it (${lineFlag}--amount=${toDecimalText(unfinished.amount, order.currency)}) or `
          : ''
      throw DomainError.conflict(
        `Refund #${unfinished.id} of ${formatAmount(unfinished.amount, order.currency)} on ` +
          `${order.label} (by ${unfinished.initiatedBy}) is still pending: its outcome on Stripe is ` +
          `not known yet. Complete it first: ${rerun}run stripe:reconcile --fix.`
      )
    }
  }

  if (!payment.isCaptured) {
    throw DomainError.conflict(
      payment.status === 'authorized'
        ? `Cannot refund ${order.label}: it is not captured yet (held); release the hold with orders:cancel instead.`
        : `Cannot refund ${order.label}: its payment is ${payment.status.replaceAll('_', ' ')}, nothing was captured.`
    )
  }
  if (line && payment.flow === 'charge' && line.status !== 'approved') {
    throw DomainError.conflict(
      line.status === 'declined' || line.status === 'canceled'
        ? `Line #${line.id} was ${line.status}: its price was refunded to the employer automatically.`
        : `Cannot refund line #${line.id}: it is not approved yet. Cancel it instead (orders:cancel).`
    )
  }

  const amount = request.amount ?? left
  const captured = line && payment.flow === 'charge' ? line.amount : payment.amountCaptured
  const detail =
    `${formatAmount(captured, order.currency)} ${line && payment.flow === 'charge' ? 'paid' : 'captured'}, ` +
    `${formatAmount(refunded, order.currency)} refunded` +
    (pending ? `, ${formatAmount(pending, order.currency)} pending` : '')
  if (left <= 0) {
    throw DomainError.conflict(`Nothing is left to refund on ${subject} (${detail}).`)
  }
  if (amount > left) {
    throw DomainError.invalid(
      `Cannot refund ${formatAmount(amount, order.currency)}: only ` +
        `${formatAmount(left, order.currency)} of ${subject} is left to refund (${detail}).`
    )
  }
  return { kind: 'new' as const, amount, left, refunded, pending }
}

/**
 * The charge flow: a line whose transfer is not on Stripe (still being sent,
 * or refused) has nothing to take the contractor's share back from yet, and
 * would pay them in full later: refused until it is settled
 */
function assertTransferSettled(scope: Scope, request: Request) {
  const { line, transfer } = scope
  if (!line || !transfer || !request.reverseTransfer || transfer.status === 'paid') {
    return
  }
  throw DomainError.conflict(
    transfer.status === 'pending'
      ? `The contractor's transfer for line #${line.id} is not confirmed by Stripe yet: nothing ` +
          'was refunded. Run stripe:reconcile --fix (or wait for it), then refund again.'
      : `The contractor's transfer for line #${line.id} failed (${transfer.failureMessage ?? 'no reason given'}): ` +
          'nothing was refunded. Refund with --no-reverse-transfer if the platform pays it all.'
  )
}

/** The charge flow's contractor share of refunding `amount` of a line */
function lineShare(scope: Scope, amount: number, request: Request) {
  const { line, transfer } = scope
  if (!line || !transfer || transfer.status !== 'paid' || !request.reverseTransfer) {
    return null
  }
  const reversible = transfer.amount - transfer.amountReversed
  if (!request.refundApplicationFee) {
    // Fee kept: the contractor gives back the whole amount, as far as their transfer goes
    return Math.min(amount, reversible)
  }
  const refundedBefore = sum(
    scope.refunds.filter((refund) => refund.status === 'succeeded' || refund.status === 'pending')
  )
  return Math.min(
    reversible,
    contractorShareOfRefund({
      lineAmount: line.amount,
      paidOut: transfer.amount,
      refundedBefore,
      amount,
    })
  )
}

/**
 * What a refund request comes to, from the order, its refunds and Stripe's
 * charge (hold flow; null when not asked): the same refund from an earlier
 * run, or a new one with who pays what. Throws when it cannot be made.
 */
function decideRefund(
  scope: Scope,
  request: Request,
  charge: DestinationChargeState | null
): RefundDecision {
  const plan = planRefund(scope, request)
  if (plan.kind === 'existing') {
    return plan
  }
  if (scope.payment.flow === 'charge') {
    assertTransferSettled(scope, request)
    if (charge && plan.amount > charge.refundable) {
      // The reversal is sent before the refund: a refund Stripe would refuse
      // must not take the contractor's share back first
      throw DomainError.conflict(`${STRIPE_HAS_LESS_LEFT} Nothing was refunded.`)
    }
    const share = lineShare(scope, plan.amount, request)
    // After Stripe refused the reversal for the contractor's balance: the
    // platform refunds alone, the contractor owes what the reversal was
    const covered = request.refused && share ? ('refused' as const) : null
    return {
      ...plan,
      reverseTransfer: Boolean(share) && !covered,
      refundApplicationFee: request.refundApplicationFee,
      share: share ? { reversal: share, feeRefund: 0, owed: share } : null,
      covered,
      contractorOwes: covered ? share : null,
      line: scope.line,
      transfer: covered ? null : scope.transfer,
    }
  }
  const share =
    request.reverseTransfer && charge
      ? destinationRefundShare(charge, plan.amount, request.refundApplicationFee)
      : null
  let covered: 'overreach' | 'refused' | null = request.refused ? 'refused' : null
  if (!covered && share?.overreach) {
    if (!request.platformCovers) {
      throw DomainError.conflict(overreachMessage(scope.subject, plan.amount, share))
    }
    covered = 'overreach'
  }
  return {
    ...plan,
    reverseTransfer: covered ? false : request.reverseTransfer,
    refundApplicationFee: covered ? false : request.refundApplicationFee,
    share: share
      ? { reversal: share.reversal, feeRefund: share.feeRefund, owed: share.owed }
      : null,
    covered,
    contractorOwes: covered && share && share.owed > 0 ? share.owed : null,
    line: scope.line,
    transfer: null,
  }
}

/**
 * Stripe's charge, for a decision that cannot be made without it: the hold
 * flow's shares; in the charge flow, what Stripe has left to refund (a
 * contractor's share is reversed before the refund is sent)
 */
async function chargeStateFor(payment: Payment, request: Request) {
  if (!request.reverseTransfer || !payment.isCaptured) {
    return null
  }
  try {
    // Destination charges (an order's hold, a request's payment) have a transfer and a fee
    return payment.flow !== 'charge'
      ? await loadChargeState(payment)
      : await platformChargeState(payment)
  } catch (error) {
    if (describeStripeError(error).isTransient) {
      throw DomainError.unavailable(
        'Stripe did not answer: nothing was done. Run the same command again.'
      )
    }
    throw error
  }
}

/**
 * What `refundOrder` would do, read without locking or writing (for
 * confirmations). Stripe not answering is said at once: the refund could not
 * be decided either.
 */
export async function previewRefund(
  orderId: number,
  options: RefundOptions
): Promise<RefundPreview> {
  return previewRefundOf({ kind: 'order', orderId }, options)
}

/** `previewRefund` of an order or of a payment request's payment */
export async function previewRefundOf(
  target: RefundTarget,
  options: RefundOptions
): Promise<RefundPreview> {
  const request = requestOf(options)
  const scope = await scopeOf(target, request)
  const order = target.kind === 'order' ? await Order.findOrFail(target.orderId) : null
  const seen = { order, subject: scope.subject, payment: scope.payment }
  const earlier = decideRefund(scope, request, null)
  if (earlier.kind === 'existing') {
    // A re-run: decided without Stripe's charge
    return { ...earlier, ...seen }
  }
  const charge = await chargeStateFor(scope.payment, request)
  return { ...decideRefund(scope, request, charge), ...seen }
}

type Opened = { refund: Refund; existing: boolean }

/**
 * Step 2, under the order's lock: the same refund from an earlier run, or
 * the new one decided and written pending (with its reversal, charge flow).
 * Stripe's charge was read before the lock; if a refund landed meanwhile,
 * the decision is made again with a fresh read.
 */
async function openRefund(target: RefundTarget, request: Request, actor: string): Promise<Opened> {
  for (let attempt = 0; ; attempt += 1) {
    const before =
      target.kind === 'order' ? await livePaymentOf(target.orderId) : await paymentOfTarget(target)
    const charge = before ? await chargeStateFor(before, request) : null
    const opened = await withRefundTargetLock(target, async (trx): Promise<Opened | null> => {
      const scope = await scopeOf(target, request, trx)
      if (before && scope.payment.amountRefunded !== before.amountRefunded && attempt < 2) {
        return null
      }
      const decision = decideRefund(scope, request, charge)
      if (decision.kind === 'existing') {
        return { refund: decision.refund, existing: true }
      }
      return { refund: await writeRefund(trx, scope, decision, request, actor), existing: false }
    })
    if (opened) {
      return opened
    }
  }
}

async function writeRefund(
  trx: TransactionClientContract,
  scope: Scope,
  decision: Extract<RefundDecision, { kind: 'new' }>,
  request: Request,
  actor: string
) {
  const { subject, payment } = scope
  const refund = await Refund.create(
    {
      orderId: subject.orderId,
      paymentId: payment.id,
      orderLineId: decision.line?.id ?? null,
      cause: 'admin',
      amount: decision.amount,
      currency: payment.currency,
      reason: request.reason,
      reverseTransfer: decision.reverseTransfer,
      refundApplicationFee: decision.refundApplicationFee,
      status: 'pending',
      initiatedBy: actor,
      contractorOwes: decision.contractorOwes,
    },
    { client: trx }
  )
  let message = describeRefundSplit(refund, payment.currency)
  if (request.refused) {
    message += `; after Stripe refused refund #${request.refused.id}`
  } else if (decision.covered === 'overreach') {
    message += "; Stripe would have taken more than the contractor's share"
  }
  await recordPaymentEvent(trx, {
    orderId: subject.orderId,
    paymentRequestId: subject.paymentRequestId,
    orderLineId: refund.orderLineId,
    paymentId: payment.id,
    refundId: refund.id,
    actor,
    type: 'refund.requested',
    toStatus: 'pending',
    amount: decision.amount,
    currency: payment.currency,
    message,
  })
  if (decision.transfer && decision.share) {
    await TransferReversal.create(
      {
        transferId: decision.transfer.id,
        refundId: refund.id,
        amount: decision.share.reversal,
        currency: payment.currency,
        status: 'pending',
        initiatedBy: actor,
      },
      { client: trx }
    )
  }
  return refund
}

/**
 * Refunds a captured order (or one of its lines), fully (what is left) or
 * partially. See the top of this file for the steps, re-runs and who pays.
 */
export async function refundOrder(orderId: number, options: RefundOptions): Promise<RefundResult> {
  return refundTarget({ kind: 'order', orderId }, options)
}

/** Refunds a payment request's payment (a destination charge), as `refundOrder` does an order */
export async function refundPayment(
  paymentId: number,
  options: RefundOptions
): Promise<RefundResult> {
  return refundTarget({ kind: 'payment', paymentId }, options)
}

async function refundTarget(target: RefundTarget, options: RefundOptions): Promise<RefundResult> {
  const request = requestOf(options)
  const opened = await openRefund(target, request, options.actor)
  const statusBefore = opened.refund.status
  await driveRefundTarget(target)
  let refund = await Refund.findOrFail(opened.refund.id)

  let refusedAttempt: Refund | null = null
  const refusedForBalance = await balanceRefusal(refund)
  if (refusedForBalance) {
    refusedAttempt = refund
    if (!request.platformCovers) {
      throw DomainError.conflict(await insufficientBalanceMessage(target, refund))
    }
    const fallback = await coverRefused(target, refund, request, options.actor)
    await driveRefundTarget(target)
    refund = await Refund.findOrFail(fallback.id)
  }
  const history = !opened.existing ? 'new' : statusBefore === 'succeeded' ? 'done' : 'resumed'
  return resultOf(target, refund, history, refusedAttempt)
}

/**
 * Whether Stripe refused the contractor's share for their balance: the whole
 * refund (hold flow), or the reversal it waits for (charge flow)
 */
async function balanceRefusal(refund: Refund) {
  if (refund.status !== 'failed' || !refund.reverseTransfer) {
    return false
  }
  const reversal = await TransferReversal.findBy('refundId', refund.id)
  if (reversal) {
    // Charge flow: the refund was closed because its reversal was refused
    return reversal.status === 'failed' && reversal.failureMessage === CONTRACTOR_BALANCE_SHORT
  }
  return refund.failureMessage === CONTRACTOR_BALANCE_SHORT
}

/**
 * The platform-covers fallback after Stripe refused the contractor's share
 * (the whole refund, hold flow; its reversal, charge flow): the refused
 * refund stays failed and a new one is made without reversal or fee refund.
 * The contractor owes their share as a debit once it succeeds.
 */
async function coverRefused(
  target: RefundTarget,
  refused: Refund,
  request: Request,
  actor: string
) {
  const opened = await openRefund(
    target,
    {
      ...request,
      amount: refused.amount,
      reason: (refused.reason as RefundReason | null) ?? null,
      reverseTransfer: true,
      refundApplicationFee: refused.refundApplicationFee,
      refused,
    },
    actor
  )
  return opened.refund
}

async function resultOf(
  target: RefundTarget,
  refund: Refund,
  history: 'new' | 'resumed' | 'done',
  refusedAttempt: Refund | null
): Promise<RefundResult> {
  const payment = await Payment.findOrFail(refund.paymentId)
  const debit = await ContractorDebit.findBy('refundId', refund.id)
  const resumed = history === 'resumed'
  switch (refund.status) {
    case 'succeeded':
      return {
        outcome: history === 'done' ? 'already_done' : 'succeeded',
        resumed,
        refund,
        payment,
        debit,
        refusedAttempt,
      }
    case 'pending': {
      const reversal = await TransferReversal.findBy('refundId', refund.id)
      if (!refund.stripeRefundId || reversal?.status === 'pending') {
        const { label } = await refundSubjectOf(target, payment)
        throw DomainError.unavailable(
          `Stripe did not answer: refund #${refund.id} of ` +
            `${formatAmount(refund.amount, refund.currency)} on ${label} stays pending. Run the ` +
            'same command again to complete it (it reuses the same idempotency key), or stripe:reconcile --fix.'
        )
      }
      return { outcome: 'pending', resumed, refund, payment, debit, refusedAttempt }
    }
    default:
      throw DomainError.conflict(
        `Stripe refused refund #${refund.id}: ${refund.failureMessage ?? 'no reason given'} Nothing was refunded.`
      )
  }
}

async function insufficientBalanceMessage(target: RefundTarget, refused: Refund) {
  const payment = await Payment.findOrFail(refused.paymentId)
  const line = refused.orderLineId
    ? await OrderLine.find(refused.orderLineId)
    : target.kind === 'order'
      ? await OrderLine.query().where('orderId', target.orderId).first()
      : null
  const reversal = await TransferReversal.findBy('refundId', refused.id)
  const share = reversal
    ? reversal.amount
    : await destinationShareOf(payment, refused.amount, refused.refundApplicationFee)
        .then((found) => found.owed)
        .catch(() => null)
  const subject = await refundSubjectOf(target, payment)
  const contractorId = line?.contractorId ?? subject.contractorId
  const profile = contractorId ? await UserProfile.findBy('userId', contractorId) : null
  const balance = profile?.stripeId
    ? await connectedBalance(profile.stripeId, payment.currency)
    : null
  const owed = share === null ? null : formatAmount(share, payment.currency)
  return (
    `The contractor's Stripe balance` +
    (balance === null
      ? ''
      : ` (${formatAmount(balance.available + balance.pending, payment.currency)})`) +
    ` cannot cover giving back ${owed ? `their ${owed} share` : 'their share'} of this ` +
    `${formatAmount(refused.amount, payment.currency)} refund: nothing was refunded. To refund ` +
    `from the platform's balance and record ${owed ? `a ${owed}` : 'a'} debit owed by the ` +
    'contractor, re-run with --platform-covers.'
  )
}
