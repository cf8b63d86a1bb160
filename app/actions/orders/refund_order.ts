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
import { isStripeError, reportStripeError } from '#stripe/errors'
import { FAILURE_MESSAGE_LENGTH, connectedBalance } from '#actions/contractors/debit_contractor'

/*
|--------------------------------------------------------------------------
| Refunds of captured orders
|--------------------------------------------------------------------------
|
| 1. Under the order's row lock: check what is left to refund (captured −
|    refunded − refunds still pending), then write the refund row (pending)
|    and commit, BEFORE Stripe is called. A crash after this point leaves a
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
| debit, collected later. Stripe settles the exact remainders on the refund
| that takes everything left, which would take a covered share back a second
| time: such a refund is made platform-covers too (or refused without the
| flag), and its owed share leaves out what earlier covered refunds recorded.
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

/** What a refund takes back from the contractor, computed as Stripe does */
export interface ContractorShare {
  /** Reversed from the contractor's transfer */
  reversal: number
  /** Fee the platform gives back to the contractor in the same refund */
  feeRefund: number
  /** What the contractor loses in total: reversal − fee refund */
  owed: number
  /** The refund takes everything left (Stripe settles the remainders) */
  last: boolean
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

/**
 * The contractor's part of refunding `amount`, the way Stripe computes it:
 * the transfer reversed and the fee refunded in proportion to the amount
 * refunded (rounded half up), and a refund of everything left settles exactly
 * what remains of both.
 */
export async function contractorShare(
  order: Order,
  amount: number,
  refundApplicationFee: boolean
): Promise<ContractorShare> {
  const charge = await chargeWithTransfer(order)
  const transfer = charge.transfer as Stripe.Transfer | null
  const fee = charge.application_fee as Stripe.ApplicationFee | null
  const refundable = charge.amount_captured - capturedAmountRefunded(charge)
  const last = amount >= refundable

  const transferLeft = transfer ? transfer.amount - transfer.amount_reversed : 0
  const reversal = last
    ? transferLeft
    : Math.min(
        transferLeft,
        proportionalShare(transfer?.amount ?? 0, amount, charge.amount_captured)
      )
  const feeLeft = fee ? fee.amount - fee.amount_refunded : 0
  let feeRefund = 0
  if (refundApplicationFee && fee) {
    feeRefund = last
      ? feeLeft
      : Math.min(feeLeft, proportionalShare(fee.amount, amount, charge.amount_captured))
  }
  return { reversal, feeRefund, owed: reversal - feeRefund, last }
}

interface RefundSpec {
  amount?: number
  reason: RefundReason | null
  reverseTransfer: boolean
  refundApplicationFee: boolean
  /**
   * The platform-covers fallback: the refund is made without reversal or fee
   * refund, and the contractor owes the share they would have given back
   */
  platformCovers?: { refundApplicationFee: boolean; refusedRefundId: number | null }
}

type Opened = { refund: Refund; existing: boolean }

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
  | { kind: 'existing'; refund: Refund }
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
  options: { repeat?: boolean; matchEarlier: boolean }
): Plan {
  const { refunded, pending, left } = refundableOf(order, refunds)

  if (options.matchEarlier && !options.repeat) {
    const earlier = findSameRefund(refunds, amountAsked, left)
    if (earlier) {
      return { kind: 'existing', refund: earlier }
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

/**
 * Shares of earlier refunds the platform covered (owed or collected debits):
 * they are still in the contractor's transfer
 */
function coveredShares(order: Order, trx?: TransactionClientContract) {
  return ContractorDebit.query(trx ? { client: trx } : {})
    .where('orderId', order.id)
    .whereNotNull('refundId')
    .whereIn('status', ['owed', 'pending', 'succeeded'])
}

/**
 * Stripe settles the exact remainders on the refund that takes everything
 * left: with reverse_transfer it would take the covered shares back a second
 * time. Without platformCovers that refund is refused; with it, it is made
 * platform-covers and its owed share leaves the covered ones out.
 */
function assertNoCoveredShareTwice(
  order: Order,
  covered: ContractorDebit[],
  options: RefundOptions
) {
  if (options.platformCovers) {
    return
  }
  const total = covered.reduce((running, debit) => running + debit.amount, 0)
  throw new ActionError(
    `Refunding everything left on order #${order.id} with reverse_transfer would take back ` +
      `again the ${formatAmount(total, order.currency)} share of earlier refunds the platform ` +
      `covered (debit ${covered.map((debit) => `#${debit.id}`).join(', ')}). Use ` +
      '--platform-covers (the contractor owes the rest of their share) or --no-reverse-transfer ' +
      '(the platform pays).',
    409
  )
}

export interface RefundPreview {
  order: Order
  /** The refund an earlier run made for the same request */
  existing: Refund | null
  amount: number
  left: number
  refunded: number
  pending: number
  reverseTransfer: boolean
  refundApplicationFee: boolean
  /** What the contractor would give back (null when Stripe could not be asked) */
  share: ContractorShare | null
  /** Made platform-covers without trying the reversal (earlier covered refunds) */
  coveredDirectly: boolean
}

/** What `refundOrder` would do, read without locking or writing (for confirmations) */
export async function previewRefund(
  orderId: number,
  options: RefundOptions
): Promise<RefundPreview> {
  const order = await Order.findOrFail(orderId)
  const refunds = await Refund.query().where('orderId', order.id).orderBy('id')
  const { reverseTransfer, refundApplicationFee } = refundFlags(options)
  const plan = planRefund(order, refunds, options.amount, {
    repeat: options.repeat,
    matchEarlier: true,
  })
  if (plan.kind === 'existing') {
    const { refunded, pending, left } = refundableOf(order, refunds)
    return {
      order,
      existing: plan.refund,
      amount: plan.refund.amount,
      left,
      refunded,
      pending,
      reverseTransfer: plan.refund.reverseTransfer,
      refundApplicationFee: plan.refund.refundApplicationFee,
      share: null,
      coveredDirectly: false,
    }
  }
  let coveredDirectly = false
  if (reverseTransfer && plan.amount === plan.left) {
    const covered = await coveredShares(order)
    if (covered.length > 0) {
      assertNoCoveredShareTwice(order, covered, options)
      coveredDirectly = true
    }
  }
  const share = reverseTransfer
    ? await contractorShare(order, plan.amount, refundApplicationFee).catch(() => null)
    : null
  return {
    order,
    existing: null,
    amount: plan.amount,
    left: plan.left,
    refunded: plan.refunded,
    pending: plan.pending,
    reverseTransfer,
    refundApplicationFee,
    share,
    coveredDirectly,
  }
}

function refundFlags(options: RefundOptions) {
  const reverseTransfer = options.reverseTransfer ?? true
  // Without a reversal the platform pays the whole refund: refunding its fee
  // too would pay the contractor on top
  const refundApplicationFee = reverseTransfer && (options.refundApplicationFee ?? true)
  return { reverseTransfer, refundApplicationFee }
}

/**
 * Step 1, under the order's lock: find the same refund from an earlier run,
 * or check the amount and write the pending row.
 */
function openRefund(orderId: number, spec: RefundSpec, options: RefundOptions) {
  return withLockedOrder(orderId, async (order, trx): Promise<Opened> => {
    const refunds = await Refund.query({ client: trx }).where('orderId', order.id).orderBy('id')
    const plan = planRefund(order, refunds, spec.amount, {
      repeat: options.repeat,
      matchEarlier: !spec.platformCovers,
    })
    if (plan.kind === 'existing') {
      return { refund: plan.refund, existing: true }
    }
    const { amount, left } = plan

    const covered = await coveredShares(order, trx)
    const coveredTotal = covered.reduce((total, debit) => total + debit.amount, 0)
    let platformCovers = spec.platformCovers
    if (!platformCovers && spec.reverseTransfer && amount === left && covered.length > 0) {
      assertNoCoveredShareTwice(order, covered, options)
      platformCovers = { refundApplicationFee: spec.refundApplicationFee, refusedRefundId: null }
    }

    let contractorOwes: number | null = null
    if (platformCovers) {
      const share = await contractorShare(order, amount, platformCovers.refundApplicationFee)
      const owed = share.last ? share.owed - coveredTotal : share.owed
      contractorOwes = owed > 0 ? owed : null
    }

    const refund = await Refund.create(
      {
        orderId: order.id,
        amount,
        currency: order.currency,
        reason: spec.reason,
        reverseTransfer: platformCovers ? false : spec.reverseTransfer,
        refundApplicationFee: platformCovers ? false : spec.refundApplicationFee,
        status: 'pending',
        initiatedBy: options.actor,
        contractorOwes,
      },
      { client: trx }
    )
    let message = describeSpec(refund, order.currency)
    if (platformCovers?.refusedRefundId) {
      message += `; after Stripe refused refund #${platformCovers.refusedRefundId}`
    }
    await recordPaymentEvent(trx, {
      orderId: order.id,
      refundId: refund.id,
      actor: options.actor,
      type: 'refund.requested',
      toStatus: 'pending',
      amount,
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
          reason:
            `Share of refund #${refund.id} on order #${order.id}, paid by the platform because ` +
            "the contractor's Stripe balance could not cover it",
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

    let stripeRefund = fresh ? null : await findRefundOnStripe(order, refund)
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
  const { reverseTransfer, refundApplicationFee } = refundFlags(options)
  if (
    options.amount !== undefined &&
    (!Number.isSafeInteger(options.amount) || options.amount <= 0)
  ) {
    throw new ActionError('The amount to refund must be more than zero.', 422)
  }

  const opened = await openRefund(
    orderId,
    {
      amount: options.amount,
      reason: options.reason ?? null,
      reverseTransfer,
      refundApplicationFee,
    },
    options
  )
  let driven = await driveRefund(opened.refund.id, orderId, options.actor, !opened.existing)

  let refusedAttempt: Refund | null = null
  if (driven.kind === 'failed' && driven.balanceInsufficient) {
    refusedAttempt = driven.refund
    if (!options.platformCovers) {
      throw new ActionError(await insufficientBalanceMessage(orderId, driven.refund), 409)
    }
    const fallback = await openRefund(
      orderId,
      {
        amount: driven.refund.amount,
        reason: (driven.refund.reason as RefundReason | null) ?? null,
        reverseTransfer: false,
        refundApplicationFee: false,
        platformCovers: {
          refundApplicationFee: driven.refund.refundApplicationFee,
          refusedRefundId: driven.refund.id,
        },
      },
      options
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
