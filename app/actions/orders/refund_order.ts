import type Stripe from 'stripe'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Order from '#models/order'
import Refund from '#models/refund'
import ContractorDebit from '#models/contractor_debit'
import UserProfile from '#models/user_profile'
import { HELD_STATUSES } from '#models/order'
import { ActionError } from '#exceptions/action_error'
import { withLockedOrder } from '#actions/orders/order_state'
import { assertOrderStatus } from '#actions/orders/order_errors'
import { capturedAmountRefunded, syncRefundTotals } from '#actions/orders/sync_refunds'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount, toDecimalText } from '#money/amounts'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { describeStripeError, isStripeError, reportStripeError } from '#stripe/errors'
import { FAILURE_MESSAGE_LENGTH, connectedBalance } from '#actions/contractors/debit_contractor'

/*
|--------------------------------------------------------------------------
| Refunds of captured orders
|--------------------------------------------------------------------------
|
| 1. Under the order's row lock: check what is left to refund (captured −
|    refunded − refunds still pending) and, with reverse_transfer, what
|    Stripe's charge would take (`decideRefund`, shared with the preview),
|    then write the refund row (pending) and commit, BEFORE the refund is
|    sent. A crash after this point leaves a
|    pending row that names the refund we meant to make.
| 2. Under the lock again: call Stripe with the key "refund:<id>:<uuid>:create"
|    (from the row), record the answer on the row, and bring the order's
|    refunded total and status in line through `syncRefundTotals`, the same
|    path as the charge.refunded webhook, so both converge.
|
| Re-runs: a refund of the same amount on the same order that is pending or
| succeeded is taken to be the same request run again. A pending one is
| completed (looked up on Stripe first, then sent with its own key), a
| succeeded one is reported and nothing is done. `repeat` makes a second,
| identical refund on purpose.
|
| Who pays: by default the contractor gives back their share (reverse_transfer)
| and the platform its fee (refund_application_fee), both in proportion to the
| amount refunded. When the contractor's balance cannot cover the reversal,
| Stripe refuses the whole refund; with `platformCovers` the platform then
| refunds alone and the contractor's share is recorded as an owed contractor
| debit, collected later. Stripe settles what is left of the transfer and
| the fee on the refund that takes everything left: after refunds that did
| not take their share (no reversal, fee kept, platform-covered, made on the
| Dashboard) that is more than this refund's share. Such a refund is refused,
| or with `platformCovers` made platform-covers directly, the contractor
| owing their proportional share.
|
*/

export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer'

export interface RefundOptions {
  actor: string
  /** Minor units; everything left to refund when omitted */
  amount?: number
  reason?: RefundReason | null
  /** The contractor gives back their share of the refund (default true) */
  reverseTransfer?: boolean
  /** The platform gives back its fee in proportion (default true; only with reverseTransfer) */
  refundApplicationFee?: boolean
  /**
   * When the contractor's balance cannot cover the reversal: refund from the
   * platform's balance and record the contractor's share as an owed debit
   */
  platformCovers?: boolean
  /** Make this refund even if one of the same amount was already made on the order */
  repeat?: boolean
}

export interface RefundResult {
  /** made now, found done by an earlier run, or accepted by Stripe but not final yet */
  outcome: 'succeeded' | 'already_done' | 'pending'
  /** A pending refund of an earlier run was completed (rather than a new one made) */
  resumed: boolean
  refund: Refund
  order: Order
  /** The owed debit the platform-covers fallback recorded */
  debit: ContractorDebit | null
  /** The attempt Stripe refused because the contractor's balance could not cover it */
  refusedAttempt: Refund | null
}

/** What a refund takes from the contractor and the platform's fee */
export interface ContractorShare {
  /** Reversed from the contractor's transfer */
  reversal: number
  /** Fee the platform gives back to the contractor in the same refund */
  feeRefund: number
  /** What the contractor loses in total: reversal − fee refund */
  owed: number
  /** The refund takes everything left (Stripe settles the remainders) */
  last: boolean
  /**
   * What Stripe would settle on this last refund when it is more than the
   * shares above (beyond a cent of rounding per earlier refund): earlier
   * refunds did not take their share. The shares above are then the
   * proportional ones, what the contractor fairly owes.
   */
  overreach: { reversal: number; feeRefund: number } | null
}

/** What Stripe's charge says is left to refund, to reverse and to give back */
export interface ChargeState {
  captured: number
  /** Captured − refunded */
  refundable: number
  transfer: { amount: number; left: number } | null
  fee: { amount: number; left: number } | null
  /** Refunds already on the charge: each may have rounded its shares by a cent */
  refunds: number
}

/** value × part / whole, rounded half up, in integers (as Stripe's sandbox does) */
export function proportionalShare(value: number, part: number, whole: number) {
  if (whole <= 0) {
    return 0
  }
  const numerator = BigInt(value) * BigInt(part) * 2n + BigInt(whole)
  return Number(numerator / (BigInt(whole) * 2n))
}

function sum(refunds: Refund[]) {
  return refunds.reduce((total, refund) => total + refund.amount, 0)
}

/** Captured − refunded − pending, with what each part is, under the caller's lock */
function refundableOf(order: Order, refunds: Refund[]) {
  const succeeded = sum(refunds.filter((refund) => refund.status === 'succeeded'))
  const pending = sum(refunds.filter((refund) => refund.status === 'pending'))
  // Refunds made on Stripe's Dashboard have no row but are in amount_refunded
  const refunded = Math.max(order.amountRefunded, succeeded)
  return { refunded, pending, left: Math.max(0, order.amountCaptured - refunded - pending) }
}

async function chargeWithTransfer(order: Order) {
  let chargeId = order.stripeChargeId
  if (!chargeId) {
    const paymentIntent = await stripe().paymentIntents.retrieve(order.stripePaymentIntentId!)
    chargeId = typeof paymentIntent.latest_charge === 'string' ? paymentIntent.latest_charge : null
  }
  if (!chargeId) {
    throw new ActionError(`Order #${order.id} has no charge on Stripe to refund.`, 409)
  }
  return stripe().charges.retrieve(chargeId, { expand: ['transfer', 'application_fee'] })
}

/** The order's charge as Stripe has it now: what is left of it, its transfer and its fee */
export async function loadChargeState(order: Order): Promise<ChargeState> {
  const charge = await chargeWithTransfer(order)
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

/**
 * The contractor's part of refunding `amount`, the way Stripe computes it:
 * the transfer reversed and the fee refunded in proportion to the amount
 * refunded (rounded half up); a refund of everything left settles exactly
 * what remains of both, which is more than the proportional share when
 * earlier refunds did not take theirs (see `overreach`).
 */
export function shareOf(
  charge: ChargeState,
  amount: number,
  refundApplicationFee: boolean
): ContractorShare {
  const last = amount >= charge.refundable
  const part = (whole: { amount: number; left: number } | null) => {
    const fair = whole
      ? Math.min(whole.left, proportionalShare(whole.amount, amount, charge.captured))
      : 0
    return { fair, settled: whole && last ? whole.left : fair }
  }
  const reversal = part(charge.transfer)
  const feeRefund = refundApplicationFee ? part(charge.fee) : { fair: 0, settled: 0 }
  const beyondRounding = (shares: { fair: number; settled: number }) =>
    shares.settled - shares.fair > charge.refunds
  const overreach = beyondRounding(reversal) || beyondRounding(feeRefund)
  const taken = overreach ? 'fair' : 'settled'
  return {
    reversal: reversal[taken],
    feeRefund: feeRefund[taken],
    owed: reversal[taken] - feeRefund[taken],
    last,
    overreach: overreach ? { reversal: reversal.settled, feeRefund: feeRefund.settled } : null,
  }
}

/** The contractor's part of refunding `amount` of the order, as Stripe's charge is now */
export async function contractorShare(order: Order, amount: number, refundApplicationFee: boolean) {
  return shareOf(await loadChargeState(order), amount, refundApplicationFee)
}

/** A refund request as `decideRefund` reads it */
interface RefundRequest {
  /** Minor units; everything left when omitted */
  amount?: number
  reason: RefundReason | null
  reverseTransfer: boolean
  refundApplicationFee: boolean
  /** Refund from the platform's balance when the contractor's share cannot be taken */
  platformCovers: boolean
  /** A new refund even if one of the same amount was made already */
  repeat: boolean
  /** The attempt Stripe refused for the contractor's balance: this is its platform-covered fallback */
  refused?: Refund
}

function requestOf(options: RefundOptions): RefundRequest {
  if (
    options.amount !== undefined &&
    (!Number.isSafeInteger(options.amount) || options.amount <= 0)
  ) {
    throw new ActionError('The amount to refund must be more than zero.', 422)
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
  }
}

function describeSpec(refund: Refund, currency: string) {
  const parts = [
    refund.reverseTransfer ? 'reverse_transfer' : 'no reversal',
    refund.refundApplicationFee ? 'refund_application_fee' : 'fee kept',
  ]
  if (refund.contractorOwes) {
    parts.push(`platform covers; contractor owes ${formatAmount(refund.contractorOwes, currency)}`)
  }
  if (refund.reason) {
    parts.push(refund.reason)
  }
  return parts.join(', ')
}

type Plan =
  | { kind: 'existing'; refund: Refund; left: number; refunded: number; pending: number }
  | { kind: 'new'; amount: number; left: number; refunded: number; pending: number }

/**
 * What a refund request means for an order as it is: the same refund from an
 * earlier run, or a new amount within what is left. Throws when the order
 * cannot be refunded that much.
 */
function planRefund(
  order: Order,
  refunds: Refund[],
  amountAsked: number | undefined,
  repeat: boolean
): Plan {
  const { refunded, pending, left } = refundableOf(order, refunds)

  if (!repeat) {
    const earlier = findSameRefund(refunds, amountAsked, left)
    if (earlier) {
      return { kind: 'existing', refund: earlier, left, refunded, pending }
    }
    const unfinished = refunds.find((refund) => refund.status === 'pending')
    if (unfinished) {
      throw new ActionError(
        `Refund #${unfinished.id} of ${formatAmount(unfinished.amount, order.currency)} on order ` +
          `#${order.id} (by ${unfinished.initiatedBy}) is still pending: its outcome on Stripe is ` +
          `not known yet. Complete it first: re-run it (--amount=` +
          `${toDecimalText(unfinished.amount, order.currency)}) or run stripe:reconcile --fix.`,
        409
      )
    }
  }

  if (HELD_STATUSES.includes(order.status) || order.status === 'pending') {
    throw new ActionError(
      `Cannot refund order #${order.id}: it is not captured yet (${order.status}); ` +
        'release the hold with orders:cancel instead.',
      409
    )
  }
  // refunded: said below as "nothing is left to refund"
  assertOrderStatus(order, ['captured', 'partially_refunded', 'refunded'], 'refund the order')

  const amount = amountAsked ?? left
  const detail =
    `${formatAmount(order.amountCaptured, order.currency)} captured, ` +
    `${formatAmount(refunded, order.currency)} refunded` +
    (pending ? `, ${formatAmount(pending, order.currency)} pending` : '')
  if (left <= 0) {
    throw new ActionError(`Nothing is left to refund on order #${order.id} (${detail}).`, 409)
  }
  if (amount > left) {
    throw new ActionError(
      `Cannot refund ${formatAmount(amount, order.currency)}: only ` +
        `${formatAmount(left, order.currency)} of order #${order.id} is left to refund (${detail}).`,
      422
    )
  }
  return { kind: 'new', amount, left, refunded, pending }
}

function overreachMessage(order: Order, amount: number, share: ContractorShare) {
  const money = (value: number) => formatAmount(value, order.currency)
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
    `Refunding the ${money(amount)} left on order #${order.id} with reverse_transfer would ` +
    `${parts.join(' and ')}: Stripe settles what is left on the refund of everything left, and ` +
    `earlier refunds did not take their share. Nothing was refunded. Use ${instead.join(' or ')}.`
  )
}

export type RefundDecision =
  | { kind: 'existing'; refund: Refund; left: number; refunded: number; pending: number }
  | {
      kind: 'new'
      amount: number
      left: number
      refunded: number
      pending: number
      /** As sent to Stripe */
      reverseTransfer: boolean
      refundApplicationFee: boolean
      /** The contractor's share (null without reversal, or when Stripe could not be asked) */
      share: ContractorShare | null
      /**
       * Why the platform covers it (no reversal, no fee refund, the share
       * owed as a debit): Stripe would take more than the share, or Stripe
       * refused it for the contractor's balance
       */
      covered: 'overreach' | 'refused' | null
      contractorOwes: number | null
    }

/**
 * What a refund request comes to, from the order, its refunds and Stripe's
 * charge (null when not asked): the same refund from an earlier run, or a new
 * one with who pays what. Throws when it cannot be made. Used by the preview
 * and, under the order's lock, by the refund itself.
 */
export function decideRefund(
  order: Order,
  refunds: Refund[],
  request: RefundRequest,
  charge: ChargeState | null
): RefundDecision {
  const plan = planRefund(
    order,
    refunds,
    request.amount,
    request.repeat || Boolean(request.refused)
  )
  if (plan.kind === 'existing') {
    return plan
  }
  const share =
    request.reverseTransfer && charge
      ? shareOf(charge, plan.amount, request.refundApplicationFee)
      : null
  let covered: 'overreach' | 'refused' | null = request.refused ? 'refused' : null
  if (!covered && share?.overreach) {
    if (!request.platformCovers) {
      throw new ActionError(overreachMessage(order, plan.amount, share), 409)
    }
    covered = 'overreach'
  }
  return {
    ...plan,
    reverseTransfer: covered ? false : request.reverseTransfer,
    refundApplicationFee: covered ? false : request.refundApplicationFee,
    share,
    covered,
    contractorOwes: covered && share && share.owed > 0 ? share.owed : null,
  }
}

export type RefundPreview = RefundDecision & { order: Order }

/** What `refundOrder` would do, read without locking or writing (for confirmations) */
export async function previewRefund(
  orderId: number,
  options: RefundOptions
): Promise<RefundPreview> {
  const order = await Order.findOrFail(orderId)
  const refunds = await Refund.query().where('orderId', order.id).orderBy('id')
  const request = requestOf(options)
  const charge = request.reverseTransfer ? await loadChargeState(order).catch(() => null) : null
  return { ...decideRefund(order, refunds, request, charge), order }
}

/** Stripe's charge, for a decision that cannot be made without it */
async function chargeStateForRefund(order: Order) {
  try {
    return await loadChargeState(order)
  } catch (error) {
    if (describeStripeError(error).isTransient) {
      throw new ActionError(
        'Stripe did not answer: nothing was done. Run the same command again.',
        503
      )
    }
    throw error
  }
}

type Opened = { refund: Refund; existing: boolean }

/**
 * Step 1, under the order's lock: find the same refund from an earlier run,
 * or decide the new one (Stripe's charge read under the lock) and write its
 * pending row.
 */
function openRefund(orderId: number, request: RefundRequest, actor: string) {
  return withLockedOrder(orderId, async (order, trx): Promise<Opened> => {
    const refunds = await Refund.query({ client: trx }).where('orderId', order.id).orderBy('id')
    const charge = request.reverseTransfer ? await chargeStateForRefund(order) : null
    const decision = decideRefund(order, refunds, request, charge)
    if (decision.kind === 'existing') {
      return { refund: decision.refund, existing: true }
    }

    const refund = await Refund.create(
      {
        orderId: order.id,
        amount: decision.amount,
        currency: order.currency,
        reason: request.reason,
        reverseTransfer: decision.reverseTransfer,
        refundApplicationFee: decision.refundApplicationFee,
        status: 'pending',
        initiatedBy: actor,
        contractorOwes: decision.contractorOwes,
      },
      { client: trx }
    )
    let message = describeSpec(refund, order.currency)
    if (request.refused) {
      message += `; after Stripe refused refund #${request.refused.id}`
    } else if (decision.covered === 'overreach') {
      message += "; Stripe would have taken more than the contractor's share"
    }
    await recordPaymentEvent(trx, {
      orderId: order.id,
      refundId: refund.id,
      actor,
      type: 'refund.requested',
      toStatus: 'pending',
      amount: decision.amount,
      currency: order.currency,
      message,
    })
    return { refund, existing: false }
  })
}

/**
 * The refund an earlier run of the same request made: same amount, pending
 * or succeeded, a pending one first. For "everything left", only a pending one
 * that takes what is left (a crash or a timeout left it): when nothing is left
 * and none is pending, there is nothing to refund, whoever refunded it.
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

/**
 * Our refund on Stripe: by its id, else by the reference we put in its
 * metadata. `listed`: the order's refunds already read from Stripe.
 */
export async function findRefundOnStripe(order: Order, refund: Refund, listed?: Stripe.Refund[]) {
  if (listed) {
    return (
      listed.find((candidate) => candidate.id === refund.stripeRefundId) ??
      listed.find((candidate) => candidate.metadata?.crewpay_refund === refund.reference) ??
      null
    )
  }
  if (refund.stripeRefundId) {
    return stripe().refunds.retrieve(refund.stripeRefundId)
  }
  for await (const candidate of stripe().refunds.list({
    payment_intent: order.stripePaymentIntentId!,
    limit: 100,
  })) {
    if (candidate.metadata?.crewpay_refund === refund.reference) {
      return candidate
    }
  }
  return null
}

/** Closes a locked refund Stripe refused or never saw: nothing was refunded */
export async function failRefund(
  trx: TransactionClientContract,
  refund: Refund,
  message: string,
  actor: string
) {
  const from = refund.status
  refund.useTransaction(trx)
  refund.merge({ status: 'failed', failureMessage: message.slice(0, FAILURE_MESSAGE_LENGTH) })
  await refund.save()
  await recordPaymentEvent(trx, {
    orderId: refund.orderId,
    refundId: refund.id,
    actor,
    type: 'refund.failed',
    fromStatus: from,
    toStatus: 'failed',
    amount: refund.amount,
    currency: refund.currency,
    message,
  })
}

export function localStatus(stripeRefund: Stripe.Refund): Refund['status'] {
  switch (stripeRefund.status) {
    case 'succeeded':
      return 'succeeded'
    case 'failed':
      return 'failed'
    case 'canceled':
      return 'canceled'
    default:
      // pending, requires_action: Stripe has it, the money is on its way
      return 'pending'
  }
}

/**
 * Records Stripe's answer on a locked order's refund row: its id and status,
 * the order's refunded total and status (through syncRefundTotals, like the
 * webhook), and for a platform-covered refund the debit the contractor owes.
 * Used by the refund itself, its re-runs and reconciliation.
 */
export async function applyStripeRefund(
  trx: TransactionClientContract,
  order: Order,
  refund: Refund,
  stripeRefund: Stripe.Refund,
  actor: string
) {
  const before = { status: refund.status, stripeRefundId: refund.stripeRefundId }
  const status = localStatus(stripeRefund)
  refund.useTransaction(trx)
  refund.merge({
    stripeRefundId: stripeRefund.id,
    status,
    failureMessage:
      status === 'failed' || status === 'canceled'
        ? `Stripe: refund ${stripeRefund.status}${stripeRefund.failure_reason ? ` (${stripeRefund.failure_reason})` : ''}`
        : null,
  })
  await refund.save()
  if (before.status !== status || before.stripeRefundId !== stripeRefund.id) {
    await recordPaymentEvent(trx, {
      orderId: order.id,
      refundId: refund.id,
      actor,
      type: `refund.${status}`,
      fromStatus: before.status,
      toStatus: status,
      amount: refund.amount,
      currency: refund.currency,
      stripeId: stripeRefund.id,
      message: describeSpec(refund, refund.currency),
    })
  }

  if (status === 'pending' || status === 'succeeded') {
    const chargeId =
      typeof stripeRefund.charge === 'string' ? stripeRefund.charge : stripeRefund.charge?.id
    if (chargeId) {
      const charge = await stripe().charges.retrieve(chargeId)
      await syncRefundTotals(trx, order, capturedAmountRefunded(charge), actor, stripeRefund.id)
    }
  }

  let debit: ContractorDebit | null = null
  if (status === 'succeeded' && refund.contractorOwes) {
    debit = await ContractorDebit.query({ client: trx }).where('refundId', refund.id).first()
    if (!debit) {
      debit = await ContractorDebit.create(
        {
          contractorId: order.contractorId,
          orderId: order.id,
          refundId: refund.id,
          amount: refund.contractorOwes,
          currency: refund.currency,
          reason: `Share of refund #${refund.id} on order #${order.id}, paid by the platform`,
          status: 'owed',
          initiatedBy: actor,
        },
        { client: trx }
      )
      await recordPaymentEvent(trx, {
        orderId: order.id,
        refundId: refund.id,
        contractorDebitId: debit.id,
        actor,
        type: 'contractor_debit.owed',
        toStatus: 'owed',
        amount: debit.amount,
        currency: debit.currency,
        stripeId: stripeRefund.id,
        message: debit.reason,
      })
    }
  }
  return { refund, debit, status }
}

type Driven =
  | {
      kind: 'succeeded' | 'pending' | 'already_done'
      refund: Refund
      order: Order
      debit: ContractorDebit | null
    }
  | { kind: 'failed'; refund: Refund; balanceInsufficient: boolean }
  | { kind: 'closed'; refund: Refund }
  | { kind: 'unknown'; refund: Refund }

/**
 * Step 2, under the order's lock: send the pending refund to Stripe with the
 * key from its row (after looking for it on Stripe when an earlier run may
 * have sent it already) and record the answer.
 */
function driveRefund(refundId: number, orderId: number, actor: string, fresh: boolean) {
  return withLockedOrder(orderId, async (order, trx): Promise<Driven> => {
    const refund = await Refund.query({ client: trx })
      .where('id', refundId)
      .forUpdate()
      .firstOrFail()
    if (refund.status === 'succeeded') {
      const debit = await ContractorDebit.query({ client: trx })
        .where('refundId', refund.id)
        .first()
      return { kind: 'already_done', refund, order, debit }
    }
    if (refund.status !== 'pending') {
      return { kind: 'closed', refund }
    }

    let stripeRefund: Stripe.Refund | null = null
    if (!fresh) {
      try {
        stripeRefund = await findRefundOnStripe(order, refund)
      } catch (error) {
        if (describeStripeError(error).isTransient) {
          return { kind: 'unknown', refund }
        }
        throw error
      }
    }
    if (!stripeRefund) {
      try {
        stripeRefund = await stripe().refunds.create(
          {
            payment_intent: order.stripePaymentIntentId!,
            amount: refund.amount,
            ...(refund.reason ? { reason: refund.reason as RefundReason } : {}),
            reverse_transfer: refund.reverseTransfer,
            refund_application_fee: refund.refundApplicationFee,
            metadata: {
              crewpay_refund: refund.reference,
              refund_id: String(refund.id),
              order_id: String(order.id),
            },
          },
          { idempotencyKey: idempotencyKey('refund', refund, 'create') }
        )
      } catch (error) {
        const described = reportStripeError(error, { orderId: order.id, operation: 'refund' })
        if (described.isTransient) {
          return { kind: 'unknown', refund }
        }
        const code = isStripeError(error) ? error.code : null
        const balanceInsufficient = code === 'balance_insufficient' && refund.reverseTransfer
        let message = described.message
        if (balanceInsufficient) {
          message = "The contractor's Stripe balance cannot cover the reversal of their share."
        } else if (code === 'amount_too_large') {
          message =
            'Stripe has less left to refund on this charge than Crewpay knows (a refund made ' +
            'outside Crewpay?); run stripe:reconcile.'
        }
        await failRefund(trx, refund, message, actor)
        return { kind: 'failed', refund, balanceInsufficient }
      }
    }

    const { status, debit } = await applyStripeRefund(trx, order, refund, stripeRefund, actor)
    if (status === 'failed' || status === 'canceled') {
      return { kind: 'failed', refund, balanceInsufficient: false }
    }
    return { kind: status === 'succeeded' ? 'succeeded' : 'pending', refund, order, debit }
  })
}

/**
 * Refunds a captured order, fully (what is left) or partially. See the top of
 * this file for the steps, re-runs and who pays.
 */
export async function refundOrder(orderId: number, options: RefundOptions): Promise<RefundResult> {
  const request = requestOf(options)
  const opened = await openRefund(orderId, request, options.actor)
  let driven = await driveRefund(opened.refund.id, orderId, options.actor, !opened.existing)

  let refusedAttempt: Refund | null = null
  if (driven.kind === 'failed' && driven.balanceInsufficient) {
    refusedAttempt = driven.refund
    if (!request.platformCovers) {
      throw new ActionError(await insufficientBalanceMessage(orderId, driven.refund), 409)
    }
    const fallback = await openRefund(
      orderId,
      {
        ...request,
        amount: driven.refund.amount,
        reason: (driven.refund.reason as RefundReason | null) ?? null,
        reverseTransfer: true,
        refundApplicationFee: driven.refund.refundApplicationFee,
        refused: driven.refund,
      },
      options.actor
    )
    driven = await driveRefund(fallback.refund.id, orderId, options.actor, true)
  }

  switch (driven.kind) {
    case 'unknown':
      throw new ActionError(
        `Stripe did not answer: refund #${driven.refund.id} of ` +
          `${formatAmount(driven.refund.amount, driven.refund.currency)} stays pending. Run the same ` +
          'command again to complete it (it reuses the same idempotency key), or stripe:reconcile --fix.',
        503
      )
    case 'failed':
      throw new ActionError(
        `Stripe refused refund #${driven.refund.id}: ${driven.refund.failureMessage ?? 'no reason given'} Nothing was refunded.`,
        409
      )
    case 'closed':
      throw new ActionError(
        `Refund #${driven.refund.id} was closed meanwhile (${driven.refund.status}): ` +
          `${driven.refund.failureMessage ?? ''}`.trim(),
        409
      )
    default:
      return {
        outcome: driven.kind === 'succeeded' ? 'succeeded' : driven.kind,
        resumed: opened.existing && driven.kind !== 'already_done',
        refund: driven.refund,
        order: driven.order,
        debit: driven.debit,
        refusedAttempt,
      }
  }
}

async function insufficientBalanceMessage(orderId: number, refused: Refund) {
  const order = await Order.findOrFail(orderId)
  const share = await contractorShare(order, refused.amount, refused.refundApplicationFee).catch(
    () => null
  )
  const profile = await UserProfile.findBy('userId', order.contractorId)
  const balance = profile?.stripeId
    ? await connectedBalance(profile.stripeId, order.currency)
    : null
  const owed = share ? formatAmount(share.owed, order.currency) : null
  return (
    `The contractor's Stripe balance` +
    (balance === null
      ? ''
      : ` (${formatAmount(balance.available + balance.pending, order.currency)})`) +
    ` cannot cover giving back ${owed ? `their ${owed} share` : 'their share'} of this ` +
    `${formatAmount(refused.amount, order.currency)} refund: nothing was refunded. To refund ` +
    `from the platform's balance and record ${owed ? `a ${owed}` : 'a'} debit owed by the ` +
    'contractor, re-run with --platform-covers.'
  )
}
