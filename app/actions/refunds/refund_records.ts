import type Stripe from 'stripe'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Refund, { REFUND_STATES } from '#models/refund'
import type { ActorKind } from '#models/state_machine'
import Payment from '#models/payment'
import OrderLine from '#models/order_line'
import ContractorDebit from '#models/contractor_debit'
import PaymentRequest from '#models/payment_request'
import TransferReversal from '#models/transfer_reversal'
import type { Actor } from '#domain/actor'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount } from '#money/amounts'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { followDestinationReversals } from '#actions/transfers/destination_reversals'
import { capturedAmountRefunded } from '#stripe/payment_intents'
import type { StripeWrite } from '#stripe/write'
import type { DescribedStripeError } from '#stripe/errors'
import { lockForPaymentId } from '#actions/orders/order_lock'
import { syncRefundedTotal } from '#actions/payments/record_payment_intent'
import { mailRefund } from '#actions/orders/order_mail'

/*
|--------------------------------------------------------------------------
| Refund rows and their Stripe writes
|--------------------------------------------------------------------------
|
| A refund row is written pending (with who pays what) before it is sent,
| with the key "refund:<id>:<uuid>:create". Stripe's answer sets its status,
| the payment's refunded total (as the charge.refunded webhook does) and,
| for a refund the platform covered, the debit the contractor owes.
|
*/

/** Length kept of a refusal's message */
export const FAILURE_MESSAGE_LENGTH = 255

/** Why Stripe refused a contractor's share: their balance cannot cover it */
export const CONTRACTOR_BALANCE_SHORT =
  "The contractor's Stripe balance cannot cover the reversal of their share."

/** Why Stripe refused a refund it has less left for than our records say */
export const STRIPE_HAS_LESS_LEFT =
  'Stripe has less left to refund on this charge than Crewpay knows (a refund made ' +
  'outside Crewpay?); run stripe:reconcile.'

/** A refusal's message: the contractor's balance said as such, the rest as Stripe's */
export function refusalMessage(error: DescribedStripeError, reversesTransfer: boolean) {
  if (error.code === 'balance_insufficient' && reversesTransfer) {
    return CONTRACTOR_BALANCE_SHORT
  }
  if (error.code === 'amount_too_large') {
    return STRIPE_HAS_LESS_LEFT
  }
  return error.message
}

export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer'

export function localRefundStatus(stripeRefund: Stripe.Refund): Refund['status'] {
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
 * A declined or canceled line's money back to the employer (charge flow):
 * the platform refunds it, nothing was transferred. The order is locked.
 */
export async function openLineRefund(
  trx: TransactionClientContract,
  payment: Payment,
  line: OrderLine,
  actor: Actor
) {
  const refund = await Refund.create(
    {
      orderId: line.orderId,
      paymentId: payment.id,
      orderLineId: line.id,
      cause: 'line_canceled',
      amount: line.amount,
      currency: payment.currency,
      reason: 'requested_by_customer',
      reverseTransfer: false,
      refundApplicationFee: false,
      status: 'pending',
      initiatedBy: actor.label,
      contractorOwes: null,
    },
    { client: trx }
  )
  await recordPaymentEvent(trx, {
    orderId: line.orderId,
    orderLineId: line.id,
    paymentId: payment.id,
    refundId: refund.id,
    actor: actor.label,
    type: 'refund.requested',
    toStatus: 'pending',
    amount: refund.amount,
    currency: refund.currency,
    message: `“${line.title}” was ${line.status}: its price goes back to the employer`,
  })
  return refund
}

/** Our refund on Stripe: by its id, else by the reference we put in its metadata */
export async function findRefundOnStripe(
  payment: Payment,
  refund: Refund,
  listed?: Stripe.Refund[]
) {
  const matches = (candidate: Stripe.Refund) =>
    candidate.id === refund.stripeRefundId ||
    candidate.metadata?.crewpay_refund === refund.reference
  if (listed) {
    return listed.find(matches) ?? null
  }
  if (refund.stripeRefundId) {
    return stripe().refunds.retrieve(refund.stripeRefundId)
  }
  for await (const candidate of stripe().refunds.list({
    payment_intent: payment.stripePaymentIntentId!,
    limit: 100,
  })) {
    if (matches(candidate)) {
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
  actor: string,
  who: ActorKind = 'stripe'
) {
  const from = refund.status
  refund.useTransaction(trx)
  refund.merge({
    status: REFUND_STATES.reach(from, 'failed', who),
    failureMessage: message.slice(0, FAILURE_MESSAGE_LENGTH),
  })
  await refund.save()
  await recordPaymentEvent(trx, {
    orderId: refund.orderId,
    orderLineId: refund.orderLineId,
    paymentId: refund.paymentId,
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

export function describeRefundSplit(refund: Refund, currency: string) {
  if (refund.cause === 'line_canceled') {
    return 'the platform refunds a line that was not done'
  }
  const parts = [
    refund.reverseTransfer ? 'the contractor gives back their share' : 'no reversal',
    refund.refundApplicationFee ? 'the platform gives back its fee' : 'fee kept',
  ]
  if (refund.contractorOwes) {
    parts.push(`platform covers; contractor owes ${formatAmount(refund.contractorOwes, currency)}`)
  }
  if (refund.reason) {
    parts.push(refund.reason.replaceAll('_', ' '))
  }
  return parts.join(', ')
}

/**
 * Records Stripe's answer on a locked refund: its id and status, the
 * payment's refunded total (as charge.refunded does) and, for a refund the
 * platform covered, the debit the contractor owes. Used by the refund itself,
 * its re-runs and reconciliation.
 */
export async function recordStripeRefund(
  trx: TransactionClientContract,
  refund: Refund,
  stripeRefund: Stripe.Refund,
  charge: Stripe.Charge | null,
  actor: string,
  taken: { contractorNet: number | null } = { contractorNet: null }
) {
  const before = { status: refund.status, stripeRefundId: refund.stripeRefundId }
  const status = REFUND_STATES.reach(refund.status, localRefundStatus(stripeRefund), 'stripe')
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
      orderId: refund.orderId,
      orderLineId: refund.orderLineId,
      paymentId: refund.paymentId,
      refundId: refund.id,
      actor,
      type: `refund.${status}`,
      fromStatus: before.status,
      toStatus: status,
      amount: refund.amount,
      currency: refund.currency,
      stripeId: stripeRefund.id,
      message: describeRefundSplit(refund, refund.currency),
    })
  }

  const payment = await Payment.query({ client: trx })
    .where('id', refund.paymentId)
    .forUpdate()
    .firstOrFail()
  if (charge && (status === 'pending' || status === 'succeeded')) {
    await syncRefundedTotal(
      trx,
      payment,
      capturedAmountRefunded(charge),
      { kind: 'stripe', label: actor },
      stripeRefund.id
    )
    if (charge.transfer && typeof charge.transfer === 'object') {
      await followDestinationReversals(trx, payment, charge.transfer, actor, refund.id)
    }
  }

  let debit: ContractorDebit | null = null
  if (status === 'succeeded' && refund.contractorOwes) {
    debit = await ContractorDebit.query({ client: trx }).where('refundId', refund.id).first()
    if (!debit) {
      debit = await recordOwedDebit(trx, refund, payment, actor)
    }
  }
  if (status === 'succeeded' && before.status !== 'succeeded') {
    // What the contractor gave back: their reversal (charge flow), or what
    // Stripe took from their destination transfer net of the fee returned
    const reversal = await TransferReversal.query({ client: trx })
      .where('refundId', refund.id)
      .where('status', 'succeeded')
      .first()
    await mailRefund(trx, refund, reversal?.amount ?? taken.contractorNet ?? 0)
  }
  return { status, debit, payment }
}

async function recordOwedDebit(
  trx: TransactionClientContract,
  refund: Refund,
  payment: Payment,
  actor: string
) {
  // A payment request's payment has no line: its contractor is the request's
  const request = payment.paymentRequestId
    ? await PaymentRequest.findOrFail(payment.paymentRequestId, { client: trx })
    : null
  const line = request
    ? null
    : refund.orderLineId
      ? await OrderLine.find(refund.orderLineId, { client: trx })
      : await OrderLine.query({ client: trx }).where('orderId', payment.orderId!).first()
  const where = refund.orderId
    ? ` on order #${refund.orderId}`
    : request
      ? ` on payment request #${request.id}`
      : ''
  const debit = await ContractorDebit.create(
    {
      contractorId: request ? request.contractorId : line!.contractorId,
      orderId: refund.orderId,
      orderLineId: line?.id ?? null,
      refundId: refund.id,
      amount: refund.contractorOwes!,
      currency: refund.currency,
      reason: `Share of refund #${refund.id}${where}, paid by the platform`,
      status: 'owed',
      initiatedBy: actor,
    },
    { client: trx }
  )
  await recordPaymentEvent(trx, {
    orderId: refund.orderId,
    orderLineId: line?.id ?? null,
    paymentId: refund.paymentId,
    refundId: refund.id,
    contractorDebitId: debit.id,
    paymentRequestId: request?.id ?? null,
    actor,
    type: 'contractor_debit.owed',
    toStatus: 'owed',
    amount: debit.amount,
    currency: debit.currency,
    stripeId: refund.stripeRefundId,
    message: debit.reason,
  })
  return debit
}

/** Stripe's answer to a refund: the refund and the charge's totals after it */
export interface RefundAnswer {
  refund: Stripe.Refund
  charge: Stripe.Charge | null
  /**
   * What a destination charge's refund took from the contractor: its
   * transfer reversal less the fee given back with it (null when unknown)
   */
  contractorNet?: number | null
}

/** The reversal and fee refund a destination charge's refund made, read back from Stripe */
async function contractorNetOf(stripeRefund: Stripe.Refund, charge: Stripe.Charge | null) {
  const reversalId =
    typeof stripeRefund.transfer_reversal === 'string'
      ? stripeRefund.transfer_reversal
      : (stripeRefund.transfer_reversal?.id ?? null)
  const transferId = typeof charge?.transfer === 'string' ? charge.transfer : charge?.transfer?.id
  if (!reversalId || !transferId) {
    return null
  }
  const reversal = await stripe().transfers.retrieveReversal(transferId, reversalId)
  const feeId =
    typeof charge?.application_fee === 'string'
      ? charge.application_fee
      : (charge?.application_fee?.id ?? null)
  // The fee refund this refund made is the newest one (refunds of an order are one at a time)
  const feeRefunds = feeId ? await stripe().applicationFees.listRefunds(feeId, { limit: 1 }) : null
  const feeRefund = feeRefunds?.data[0]
  const sameMoment = feeRefund && Math.abs(feeRefund.created - stripeRefund.created) <= 5
  return reversal.amount - (sameMoment ? feeRefund.amount : 0)
}

async function chargeAfter(stripeRefund: Stripe.Refund) {
  const chargeId =
    typeof stripeRefund.charge === 'string' ? stripeRefund.charge : stripeRefund.charge?.id
  // With its transfer: what a destination charge's refund took back (followDestinationReversals)
  return chargeId ? stripe().charges.retrieve(chargeId, { expand: ['transfer'] }) : null
}

export const sendRefund: StripeWrite<Refund, RefundAnswer> = {
  operation: 'refund',
  label: (refund) => `refund #${refund.id}`,
  key: (refund) => idempotencyKey('refund', refund, 'create'),
  async send(refund, key) {
    const payment = await Payment.findOrFail(refund.paymentId)
    const stripeRefund = await stripe().refunds.create(
      {
        payment_intent: payment.stripePaymentIntentId!,
        amount: refund.amount,
        ...(refund.reason ? { reason: refund.reason as RefundReason } : {}),
        // Destination charges only (an order's hold, a request's payment): the
        // contractor's share and the fee come back with it
        ...(payment.flow !== 'charge'
          ? {
              reverse_transfer: refund.reverseTransfer,
              refund_application_fee: refund.refundApplicationFee,
            }
          : {}),
        metadata: {
          crewpay_refund: refund.reference,
          refund_id: String(refund.id),
          ...(refund.orderId ? { order_id: String(refund.orderId) } : {}),
          ...(refund.orderLineId ? { order_line_id: String(refund.orderLineId) } : {}),
          ...(payment.paymentRequestId
            ? { payment_request_id: String(payment.paymentRequestId) }
            : {}),
        },
      },
      { idempotencyKey: key }
    )
    const charge = await chargeAfter(stripeRefund)
    const contractorNet =
      payment.flow === 'hold' && refund.reverseTransfer
        ? await contractorNetOf(stripeRefund, charge).catch(() => null)
        : null
    return { refund: stripeRefund, charge, contractorNet }
  },
  async find(refund) {
    const payment = await Payment.findOrFail(refund.paymentId)
    const found = await findRefundOnStripe(payment, refund)
    return found ? { refund: found, charge: await chargeAfter(found) } : null
  },
  async lock(trx, refund) {
    await lockForPaymentId(trx, refund.paymentId)
    const row = await Refund.query({ client: trx }).where('id', refund.id).forUpdate().first()
    return row?.status === 'pending' ? row : null
  },
  async record(trx, refund, answer) {
    await recordStripeRefund(trx, refund, answer.refund, answer.charge, refund.initiatedBy, {
      contractorNet: answer.contractorNet ?? null,
    })
  },
  async refuse(trx, refund, error) {
    const payment = await Payment.findOrFail(refund.paymentId, { client: trx })
    const reverses = payment.flow !== 'charge' && refund.reverseTransfer
    await failRefund(trx, refund, refusalMessage(error, reverses), refund.initiatedBy)
  },
}

/** Whether a refund waits for its reversal (charge flow: the contractor's share first) */
export async function reversalOf(refund: Refund, trx?: TransactionClientContract) {
  return TransferReversal.query(trx ? { client: trx } : {})
    .where('refundId', refund.id)
    .first()
}
