import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Dispute, {
  CLOSED_DISPUTE_STATUSES,
  DISPUTE_STATES,
  disputeVerbTo,
  type DisputeStatus,
} from '#models/dispute'
import DisputeLine from '#models/dispute_line'
import OrderLine from '#models/order_line'
import Payment from '#models/payment'
import PaymentRequest from '#models/payment_request'
import User from '#models/user'
import Refund from '#models/refund'
import Transfer from '#models/transfer'
import type { Actor } from '#domain/actor'
import { disputeReasonWords } from '#domain/dispute_words'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount } from '#money/amounts'
import { disputedParts, requestDisputeShare, type LineForDispute } from '#money/dispute_shares'
import { stripe } from '#stripe/client'
import { isStripeError } from '#stripe/errors'
import { notify } from '#mails/notify'
import { lockForPayer } from '#actions/orders/order_lock'
import { requestRef } from '#actions/payment_requests/request_mail'
import { findPaymentForCharge } from '#actions/stripe_events/find_payment'

/*
|--------------------------------------------------------------------------
| A dispute follows Stripe's
|--------------------------------------------------------------------------
|
| The one place where what Stripe says about a dispute is recorded: every
| dispute webhook, the answer to our own evidence or acceptance, and
| reconciliation. The dispute is read again from Stripe before any lock (an
| event can be old, replayed or out of order: only the current object
| counts), then recorded under the order's lock (a payment request's
| payment: the request's):
|
| - first seen: the row, the lines it concerns (app/money/dispute_shares.ts),
|   the payment's dispute flag, a mail to each contractor concerned;
| - the money Stripe withdrew and reinstated (its balance transactions);
| - the evidence submitted (how many times, when) and the due date;
| - the status, forward only through DISPUTE_STATES, each step a
|   payment_events line; closed, the contractors are told the outcome.
|
| What follows for the contractors' shares is `driveDispute`'s, after commit.
|
*/

function idOf(value: string | { id: string } | null | undefined) {
  return typeof value === 'string' ? value : (value?.id ?? null)
}

function toTime(seconds: number | null | undefined) {
  return seconds ? DateTime.fromSeconds(seconds) : null
}

/** The withdrawal and the reinstatement among a dispute's balance transactions */
export function disputeMoney(stripeDispute: Stripe.Dispute) {
  const transactions = (stripeDispute.balance_transactions ?? []).filter(
    (transaction): transaction is Stripe.BalanceTransaction => typeof transaction === 'object'
  )
  const withdrawal =
    transactions.find((transaction) => transaction.reporting_category === 'dispute') ??
    transactions.find((transaction) => transaction.amount < 0) ??
    null
  const reinstatement =
    transactions.find((transaction) => transaction.reporting_category === 'dispute_reversal') ??
    transactions.find((transaction) => transaction.amount > 0) ??
    null
  return { withdrawal, reinstatement }
}

function caseTypeOf(stripeDispute: Stripe.Dispute) {
  return stripeDispute.payment_method_details?.card?.case_type ?? null
}

interface ConcernedLine {
  orderLineId: number | null
  contractorId: number
  amount: number
}

/**
 * What a dispute on a payment request's payment concerns: the request's
 * contractor, for what is left of the payment (one line, no order line)
 */
async function concernedRequestLine(
  trx: TransactionClientContract,
  payment: Payment,
  amount: number
): Promise<ConcernedLine[]> {
  const request = await PaymentRequest.findOrFail(payment.paymentRequestId, { client: trx })
  const { part } = requestDisputeShare({
    disputed: amount,
    captured: payment.amountCaptured,
    refunded: payment.amountRefunded,
    applicationFee: payment.applicationFeeAmount ?? 0,
  })
  return part > 0 ? [{ orderLineId: null, contractorId: request.contractorId, amount: part }] : []
}

/**
 * The lines a dispute on `payment` concerns, with their part of `amount`
 * (the payment's order or request locked by the caller)
 */
async function concernedLines(
  trx: TransactionClientContract,
  payment: Payment,
  amount: number
): Promise<ConcernedLine[]> {
  if (payment.paymentRequestId !== null) {
    return concernedRequestLine(trx, payment, amount)
  }
  if (payment.orderId === null) {
    return []
  }
  const lines = await OrderLine.query({ client: trx })
    .where('orderId', payment.orderId)
    .orderBy('id')
  const transfers = await Transfer.query({ client: trx })
    .where('paymentId', payment.id)
    .whereNotNull('orderLineId')
  const refunds = await Refund.query({ client: trx })
    .where('paymentId', payment.id)
    .where('status', 'succeeded')
  const paid = (line: OrderLine) =>
    transfers.some((transfer) => transfer.orderLineId === line.id && transfer.status === 'paid')
  const candidates: LineForDispute[] =
    payment.flow === 'hold'
      ? lines.slice(0, 1).map((line) => ({
          id: line.id,
          amount: payment.amountCaptured,
          refunded: payment.amountRefunded,
          paid: paid(line),
          closed: false,
        }))
      : lines.map((line) => ({
          id: line.id,
          amount: line.amount,
          refunded: refunds
            .filter((refund) => refund.orderLineId === line.id)
            .reduce((sum, refund) => sum + refund.amount, 0),
          paid: paid(line),
          closed: line.status === 'declined' || line.status === 'canceled',
        }))
  const parts = disputedParts(amount, candidates)
  return lines
    .filter((line) => parts.has(line.id))
    .map((line) => ({
      orderLineId: line.id,
      contractorId: line.contractorId,
      amount: parts.get(line.id)!,
    }))
}

/** Tells a payment request's contractor, once per dispute and occasion */
async function tellRequestContractor(
  trx: TransactionClientContract,
  dispute: Dispute,
  occasion: 'opened' | 'closed'
) {
  const [line] = await DisputeLine.query({ client: trx })
    .where('disputeId', dispute.id)
    .orderBy('id')
  if (!line) {
    return
  }
  const request = await PaymentRequest.findOrFail(dispute.paymentRequestId, { client: trx })
  const contractor = await User.findOrFail(request.contractorId, { client: trx })
  const ref = {
    ...requestRef(request, contractor),
    paymentId: dispute.paymentId,
    disputed: line.amount,
    reason: disputeReasonWords(dispute.reason),
  }
  if (occasion === 'opened') {
    await notify(trx, {
      key: `dispute:${dispute.id}:opened:${line.contractorId}`,
      to: { userId: line.contractorId },
      message: 'request_dispute_opened',
      data: { ...ref, inquiry: dispute.isInquiry },
    })
    return
  }
  await notify(trx, {
    key: `dispute:${dispute.id}:closed:${line.contractorId}`,
    to: { userId: line.contractorId },
    message: 'request_dispute_closed',
    data: {
      ...ref,
      outcome: dispute.status as 'won' | 'lost' | 'warning_closed' | 'prevented',
      taken:
        dispute.recovery && dispute.recovery !== 'none' ? (line.share ?? 0) + line.feeShare : 0,
    },
  })
}

/** Tells each contractor concerned, once per dispute and occasion */
async function tellContractors(
  trx: TransactionClientContract,
  dispute: Dispute,
  occasion: 'opened' | 'closed'
) {
  if (dispute.paymentRequestId !== null) {
    return tellRequestContractor(trx, dispute, occasion)
  }
  if (dispute.orderId === null) {
    return
  }
  const lines = await DisputeLine.query({ client: trx })
    .where('disputeId', dispute.id)
    .preload('line')
    .orderBy('id')
  const contractors = [...new Set(lines.map((entry) => entry.contractorId))]
  for (const contractorId of contractors) {
    const own = lines.filter((entry) => entry.contractorId === contractorId)
    const ref = {
      orderId: dispute.orderId,
      title: own.length === 1 ? own[0].line.title : `${own.length} services`,
      amount: own.reduce((sum, entry) => sum + entry.line.amount, 0),
      currency: dispute.currency,
      disputed: own.reduce((sum, entry) => sum + entry.amount, 0),
      reason: disputeReasonWords(dispute.reason),
    }
    if (occasion === 'opened') {
      await notify(trx, {
        key: `dispute:${dispute.id}:opened:${contractorId}`,
        to: { userId: contractorId },
        message: 'dispute_opened',
        data: { ...ref, inquiry: dispute.isInquiry },
      })
    } else {
      const taken = own.reduce((sum, entry) => sum + (entry.share ?? 0) + entry.feeShare, 0)
      await notify(trx, {
        key: `dispute:${dispute.id}:closed:${contractorId}`,
        to: { userId: contractorId },
        message: 'dispute_closed',
        data: {
          ...ref,
          outcome: dispute.status as 'won' | 'lost' | 'warning_closed' | 'prevented',
          taken: dispute.recovery && dispute.recovery !== 'none' ? taken : 0,
        },
      })
    }
  }
}

/** The first record of a dispute: its row, its lines, the payment's flag, the contractors told */
async function openDispute(
  trx: TransactionClientContract,
  payment: Payment,
  stripeDispute: Stripe.Dispute,
  actor: Actor
) {
  const inquiry =
    caseTypeOf(stripeDispute) === 'inquiry' || stripeDispute.status.startsWith('warning_')
  const dispute = await Dispute.create(
    {
      paymentId: payment.id,
      orderId: payment.orderId,
      paymentRequestId: payment.paymentRequestId,
      stripeDisputeId: stripeDispute.id,
      stripeChargeId: idOf(stripeDispute.charge) ?? payment.stripeChargeId ?? '',
      amount: stripeDispute.amount,
      currency: stripeDispute.currency,
      reason: stripeDispute.reason,
      // The first status: each later one is a step of the state table
      status: inquiry ? 'warning_needs_response' : 'needs_response',
      inquiry,
      networkReasonCode: stripeDispute.payment_method_details?.card?.network_reason_code ?? null,
      dueBy: toTime(stripeDispute.evidence_details?.due_by),
      isChargeRefundable: stripeDispute.is_charge_refundable,
    },
    { client: trx }
  )
  for (const line of await concernedLines(trx, payment, stripeDispute.amount)) {
    await DisputeLine.create({ disputeId: dispute.id, ...line }, { client: trx })
  }
  if (!payment.disputed) {
    payment.useTransaction(trx)
    payment.disputed = true
    await payment.save()
  }
  await recordPaymentEvent(trx, {
    orderId: dispute.orderId,
    paymentRequestId: dispute.paymentRequestId,
    paymentId: payment.id,
    disputeId: dispute.id,
    actor: actor.label,
    type: 'dispute.opened',
    toStatus: dispute.status,
    amount: dispute.amount,
    currency: dispute.currency,
    stripeId: dispute.stripeDisputeId,
    message: `${inquiry ? 'Inquiry' : 'Chargeback'}: ${disputeReasonWords(dispute.reason)}`,
  })
  await tellContractors(trx, dispute, 'opened')
  return dispute
}

/**
 * Records Stripe's dispute on its payment (the order and the payment locked
 * by the caller): the row and its lines the first time, then what only ever
 * fills in or moves forward. Returns the dispute row.
 */
export async function recordDispute(
  trx: TransactionClientContract,
  payment: Payment,
  stripeDispute: Stripe.Dispute,
  actor: Actor
) {
  const found = await Dispute.query({ client: trx })
    .where('stripeDisputeId', stripeDispute.id)
    .forUpdate()
    .first()
  const dispute = found ?? (await openDispute(trx, payment, stripeDispute, actor))
  dispute.useTransaction(trx)
  const event = (data: Omit<Parameters<typeof recordPaymentEvent>[1], 'actor'>) =>
    recordPaymentEvent(trx, {
      orderId: dispute.orderId,
      paymentRequestId: dispute.paymentRequestId,
      paymentId: dispute.paymentId,
      disputeId: dispute.id,
      actor: actor.label,
      stripeId: dispute.stripeDisputeId,
      ...data,
    })

  const details = stripeDispute.evidence_details
  dispute.merge({
    dueBy: toTime(details?.due_by) ?? dispute.dueBy,
    isChargeRefundable: stripeDispute.is_charge_refundable,
    hasEvidence: details?.has_evidence ?? dispute.hasEvidence,
    pastDue: details?.past_due ?? dispute.pastDue,
    networkReasonCode:
      stripeDispute.payment_method_details?.card?.network_reason_code ?? dispute.networkReasonCode,
  })
  const submissions = details?.submission_count ?? 0
  if (submissions > dispute.evidenceSubmissionCount) {
    // Submitted outside Crewpay (Stripe's Dashboard), or our answer was lost
    dispute.merge({
      evidenceSubmissionCount: submissions,
      evidenceSubmittedAt: dispute.evidenceSubmittedAt ?? DateTime.now(),
    })
    await event({
      type: 'dispute.evidence_submitted',
      message: `Stripe shows ${submissions} submission(s)`,
    })
  }

  const { withdrawal, reinstatement } = disputeMoney(stripeDispute)
  if (withdrawal && !dispute.withdrawnAt) {
    dispute.merge({
      balanceCurrency: withdrawal.currency,
      withdrawnAmount: -withdrawal.amount,
      withdrawnFee: withdrawal.fee,
      withdrawnAt: DateTime.fromSeconds(withdrawal.created),
    })
    await event({
      type: 'dispute.funds_withdrawn',
      amount: -withdrawal.amount,
      currency: withdrawal.currency,
      stripeId: withdrawal.id,
      message: `The bank took ${formatAmount(-withdrawal.amount, withdrawal.currency)} back from Crewpay, and Stripe a ${formatAmount(withdrawal.fee, withdrawal.currency)} dispute fee`,
    })
  }
  if (reinstatement && !dispute.reinstatedAt) {
    dispute.merge({
      balanceCurrency: reinstatement.currency,
      reinstatedAmount: reinstatement.amount,
      reinstatedFee: Math.max(0, -reinstatement.fee),
      reinstatedAt: DateTime.fromSeconds(reinstatement.created),
    })
    await event({
      type: 'dispute.funds_reinstated',
      amount: reinstatement.amount,
      currency: reinstatement.currency,
      stripeId: reinstatement.id,
      message:
        reinstatement.fee < 0
          ? `With the ${formatAmount(-reinstatement.fee, reinstatement.currency)} dispute fee`
          : null,
    })
  }

  const verb = disputeVerbTo(stripeDispute.status)
  const from = dispute.status
  // Stripe moves the status, whoever's request or event made us read it
  if (verb && DISPUTE_STATES.can(from, verb, 'stripe')) {
    const to = DISPUTE_STATES.target(from, verb)! as DisputeStatus
    dispute.status = to
    if (CLOSED_DISPUTE_STATUSES.includes(to)) {
      dispute.merge({ outcome: to, closedAt: DateTime.now() })
    }
    await event({
      type: `dispute.${to}`,
      fromStatus: from,
      toStatus: to,
      amount: dispute.amount,
      currency: dispute.currency,
    })
  } else if (stripeDispute.status !== from && !disputeVerbTo(stripeDispute.status)) {
    logger.warn(
      { dispute: dispute.id, stripeStatus: stripeDispute.status },
      'A dispute status Crewpay does not know: left as it was'
    )
  }
  await dispute.save()
  if (dispute.status !== from && dispute.isClosed) {
    await tellContractors(trx, dispute, 'closed')
  }
  return dispute
}

/** The payment a Stripe dispute is about (null: not one of ours) */
export function paymentOfDispute(stripeDispute: Stripe.Dispute) {
  const chargeId = idOf(stripeDispute.charge)
  return chargeId ? findPaymentForCharge(chargeId, stripeDispute.payment_intent) : null
}

/**
 * Records a Stripe dispute as Stripe has it now (read fresh before any lock,
 * so any event, old or replayed, leads to the same state), then drives what
 * follows for the contractors' shares. Returns the dispute row, or null when
 * the dispute is not about one of our payments.
 */
export async function followDispute(stripeDisputeId: string, actor: Actor) {
  let stripeDispute: Stripe.Dispute
  try {
    stripeDispute = await stripe().disputes.retrieve(stripeDisputeId)
  } catch (error) {
    if (isStripeError(error) && error.code === 'resource_missing') {
      // Not a dispute of this Stripe account: nothing of ours to follow
      logger.warn({ stripeDisputeId }, 'A dispute Stripe does not know: ignored')
      return null
    }
    throw error
  }
  const payment = await paymentOfDispute(stripeDispute)
  if (!payment) {
    return null
  }
  const dispute = await db.transaction(async (trx) => {
    await lockForPayer(trx, payment)
    const locked = await Payment.query({ client: trx })
      .where('id', payment.id)
      .forUpdate()
      .firstOrFail()
    return recordDispute(trx, locked, stripeDispute, actor)
  })
  const { driveDispute } = await import('#actions/disputes/drive_dispute')
  await driveDispute(dispute.id)
  return Dispute.findOrFail(dispute.id)
}
