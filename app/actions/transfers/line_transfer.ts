import type Stripe from 'stripe'
import app from '@adonisjs/core/services/app'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Payment from '#models/payment'
import OrderLine from '#models/order_line'
import Transfer, { TRANSFER_STATES } from '#models/transfer'
import UserProfile from '#models/user_profile'
import type { MarketplaceConfig } from '#config/marketplace'
import type { Actor } from '#domain/actor'
import { allocate } from '#money/shares'
import { formatAmount } from '#money/amounts'
import { recordPaymentEvent } from '#services/payment_events'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import type { StripeWrite } from '#stripe/write'
import { lockForOrder, orderIdOfPayment } from '#actions/orders/order_lock'
import { mailTransferPaid } from '#actions/orders/order_mail'

/*
|--------------------------------------------------------------------------
| A line's transfer (charge flow)
|--------------------------------------------------------------------------
|
| When a line is approved and its payment has succeeded, the contractor is
| sent the line's amount less its platform fee (and, with
| STRIPE_FEE_PASSTHROUGH, less its share of Stripe's fee on the charge), as
| a transfer with `source_transaction` = the charge: it never draws on the
| platform's available balance, and reaches the contractor when the charge's
| funds do. One transfer per line (unique), written pending first.
|
*/

/** Each line's share of Stripe's fee on the charge: in proportion to the line amounts */
export function stripeFeeShares(stripeFee: number, lines: Pick<OrderLine, 'id' | 'amount'>[]) {
  const shares = allocate(
    stripeFee,
    lines.map((line) => line.amount)
  )
  return new Map(lines.map((line, index) => [line.id, shares[index]]))
}

/** Writes the pending transfer of an approved line (the order is locked by the caller) */
export async function openLineTransfer(
  trx: TransactionClientContract,
  payment: Payment,
  line: OrderLine,
  actor: Actor
) {
  const existing = await Transfer.query({ client: trx }).where('orderLineId', line.id).first()
  if (existing) {
    return existing
  }
  const profile = await UserProfile.query({ client: trx })
    .where('userId', line.contractorId)
    .firstOrFail()
  let feeShare = 0
  if (app.config.get<MarketplaceConfig>('marketplace').stripeFeePassthrough && payment.stripeFee) {
    const lines = await OrderLine.query({ client: trx })
      .where('orderId', line.orderId)
      .orderBy('id')
    feeShare = stripeFeeShares(payment.stripeFee, lines).get(line.id) ?? 0
  }
  const amount = line.amount - line.feeAmount - feeShare
  if (amount <= 0) {
    return null
  }
  const transfer = await Transfer.create(
    {
      paymentId: payment.id,
      orderLineId: line.id,
      contractorId: line.contractorId,
      destination: profile.stripeId!,
      kind: 'separate',
      amount,
      currency: payment.currency,
      stripeFeeShare: feeShare,
      status: 'pending',
      initiatedBy: actor.label,
    },
    { client: trx }
  )
  await recordPaymentEvent(trx, {
    orderId: line.orderId,
    orderLineId: line.id,
    paymentId: payment.id,
    transferId: transfer.id,
    actor: actor.label,
    type: 'transfer.requested',
    toStatus: 'pending',
    amount,
    currency: payment.currency,
    message:
      `${formatAmount(line.amount, payment.currency)} less the platform fee ` +
      formatAmount(line.feeAmount, payment.currency) +
      (feeShare ? ` and ${formatAmount(feeShare, payment.currency)} of Stripe's fee` : ''),
  })
  return transfer
}

/** Records the transfer Stripe made itself for a captured destination charge (hold flow) */
export async function recordDestinationTransfer(
  trx: TransactionClientContract,
  payment: Payment,
  line: OrderLine,
  stripeTransferId: string,
  amount: number,
  actor: Actor
) {
  const existing = await Transfer.query({ client: trx }).where('orderLineId', line.id).first()
  if (existing) {
    return existing
  }
  const profile = await UserProfile.query({ client: trx })
    .where('userId', line.contractorId)
    .firstOrFail()
  const transfer = await Transfer.create(
    {
      paymentId: payment.id,
      orderLineId: line.id,
      contractorId: line.contractorId,
      destination: profile.stripeId!,
      kind: 'destination',
      amount,
      currency: payment.currency,
      stripeFeeShare: 0,
      status: 'paid',
      stripeTransferId,
      initiatedBy: actor.label,
    },
    { client: trx }
  )
  await recordPaymentEvent(trx, {
    orderId: line.orderId,
    orderLineId: line.id,
    paymentId: payment.id,
    transferId: transfer.id,
    actor: actor.label,
    type: 'transfer.paid',
    toStatus: 'paid',
    amount: amount - (payment.applicationFeeAmount ?? 0),
    currency: payment.currency,
    stripeId: stripeTransferId,
    message: 'Sent with the captured payment, less the platform fee',
  })
  await mailTransferPaid(trx, transfer)
  return transfer
}

/** Our transfer on Stripe: by its id, else by the reference in its metadata */
export async function findTransferOnStripe(transfer: Transfer) {
  if (transfer.stripeTransferId) {
    return stripe().transfers.retrieve(transfer.stripeTransferId)
  }
  for await (const candidate of stripe().transfers.list({
    destination: transfer.destination,
    created: { gte: Math.floor(transfer.createdAt.toSeconds()) - 300 },
    limit: 100,
  })) {
    if (candidate.metadata?.crewpay_transfer === transfer.reference) {
      return candidate
    }
  }
  return null
}

export const sendTransfer: StripeWrite<Transfer, Stripe.Transfer> = {
  operation: 'transfer',
  label: (transfer) => `transfer #${transfer.id}`,
  key: (transfer) =>
    transfer.attempts > 1
      ? idempotencyKey('transfer', transfer, 'create', transfer.attempts)
      : idempotencyKey('transfer', transfer, 'create'),
  async send(transfer, key) {
    const payment = await transfer.related('payment').query().firstOrFail()
    return stripe().transfers.create(
      {
        amount: transfer.amount,
        currency: transfer.currency,
        destination: transfer.destination,
        source_transaction: payment.stripeChargeId!,
        transfer_group: payment.orderId ? `order_${payment.orderId}` : undefined,
        description: payment.orderId
          ? `Crewpay order #${payment.orderId}, line #${transfer.orderLineId}`
          : `Crewpay payment #${payment.id}`,
        metadata: {
          crewpay_transfer: transfer.reference,
          transfer_id: String(transfer.id),
          ...(payment.orderId ? { order_id: String(payment.orderId) } : {}),
          ...(transfer.orderLineId ? { order_line_id: String(transfer.orderLineId) } : {}),
        },
      },
      { idempotencyKey: key }
    )
  },
  find: findTransferOnStripe,
  async lock(trx, transfer) {
    await lockForOrder(trx, await orderIdOfPayment(trx, transfer.paymentId))
    const row = await Transfer.query({ client: trx }).where('id', transfer.id).forUpdate().first()
    return row?.status === 'pending' ? row : null
  },
  async record(trx, transfer, answer) {
    transfer.useTransaction(trx)
    transfer.merge({
      status: TRANSFER_STATES.reach(transfer.status, 'paid', 'stripe'),
      stripeTransferId: answer.id,
      failureMessage: null,
    })
    await transfer.save()
    await recordPaymentEvent(trx, {
      orderId: await orderIdOfPayment(trx, transfer.paymentId),
      orderLineId: transfer.orderLineId,
      paymentId: transfer.paymentId,
      transferId: transfer.id,
      actor: transfer.initiatedBy,
      type: 'transfer.paid',
      fromStatus: 'pending',
      toStatus: 'paid',
      amount: transfer.amount,
      currency: transfer.currency,
      stripeId: answer.id,
    })
    await mailTransferPaid(trx, transfer)
  },
  async refuse(trx, transfer, error) {
    transfer.useTransaction(trx)
    transfer.merge({
      status: TRANSFER_STATES.reach(transfer.status, 'failed', 'stripe'),
      failureMessage: error.message,
    })
    await transfer.save()
    await recordPaymentEvent(trx, {
      orderId: await orderIdOfPayment(trx, transfer.paymentId),
      orderLineId: transfer.orderLineId,
      paymentId: transfer.paymentId,
      transferId: transfer.id,
      actor: transfer.initiatedBy,
      type: 'transfer.failed',
      fromStatus: 'pending',
      toStatus: 'failed',
      amount: transfer.amount,
      currency: transfer.currency,
      message: error.message,
    })
  },
}
