import type Stripe from 'stripe'
import Transfer from '#models/transfer'
import TransferReversal, { REVERSAL_STATES } from '#models/transfer_reversal'
import { recordPaymentEvent } from '#services/payment_events'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import type { StripeWrite } from '#stripe/write'
import { lockForPaymentId, payerOfPayment } from '#actions/orders/order_lock'
import { refusalMessage } from '#actions/refunds/refund_records'

/*
| A transfer reversal: the contractor gives back part of a line's transfer
| (their share of a refund, or of a dispute). Stripe takes it from the
| contractor's available balance and refuses (balance_insufficient) when it
| cannot cover it.
*/

async function context(transferId: number, client?: Parameters<typeof Transfer.find>[1]) {
  const transfer = await Transfer.findOrFail(transferId, client)
  return transfer
}

async function findReversalOnStripe(reversal: TransferReversal) {
  const transfer = await context(reversal.transferId)
  if (!transfer.stripeTransferId) {
    return null
  }
  for await (const candidate of stripe().transfers.listReversals(transfer.stripeTransferId, {
    limit: 100,
  })) {
    if (
      candidate.id === reversal.stripeReversalId ||
      candidate.metadata?.crewpay_reversal === reversal.reference
    ) {
      return candidate
    }
  }
  return null
}

export const sendTransferReversal: StripeWrite<TransferReversal, Stripe.TransferReversal> = {
  operation: 'transfer_reversal',
  label: (reversal) => `reversal #${reversal.id}`,
  key: (reversal) => idempotencyKey('transfer_reversal', reversal, 'create'),
  async send(reversal, key) {
    const transfer = await context(reversal.transferId)
    return stripe().transfers.createReversal(
      transfer.stripeTransferId!,
      {
        amount: reversal.amount,
        description: `Crewpay reversal #${reversal.id}`,
        metadata: {
          crewpay_reversal: reversal.reference,
          transfer_reversal_id: String(reversal.id),
          ...(reversal.refundId ? { refund_id: String(reversal.refundId) } : {}),
          ...(reversal.disputeId ? { dispute_id: String(reversal.disputeId) } : {}),
        },
      },
      { idempotencyKey: key }
    )
  },
  find: findReversalOnStripe,
  async lock(trx, reversal) {
    const transfer = await context(reversal.transferId, { client: trx })
    await lockForPaymentId(trx, transfer.paymentId)
    const row = await TransferReversal.query({ client: trx })
      .where('id', reversal.id)
      .forUpdate()
      .first()
    return row?.status === 'pending' ? row : null
  },
  async record(trx, reversal, answer) {
    const transfer = await Transfer.query({ client: trx })
      .where('id', reversal.transferId)
      .forUpdate()
      .firstOrFail()
    reversal.useTransaction(trx)
    reversal.merge({
      status: REVERSAL_STATES.reach(reversal.status, 'succeeded', 'stripe'),
      stripeReversalId: answer.id,
      failureMessage: null,
    })
    await reversal.save()
    transfer.useTransaction(trx)
    transfer.amountReversed = Math.min(transfer.amount, transfer.amountReversed + answer.amount)
    await transfer.save()
    await recordPaymentEvent(trx, {
      ...(await payerOfPayment(trx, transfer.paymentId)),
      orderLineId: transfer.orderLineId,
      paymentId: transfer.paymentId,
      transferId: transfer.id,
      refundId: reversal.refundId,
      disputeId: reversal.disputeId,
      actor: reversal.initiatedBy,
      type: 'transfer.reversed',
      fromStatus: 'pending',
      toStatus: 'succeeded',
      amount: answer.amount,
      currency: reversal.currency,
      stripeId: answer.id,
    })
  },
  async refuse(trx, reversal, error) {
    const transfer = await Transfer.findOrFail(reversal.transferId, { client: trx })
    reversal.useTransaction(trx)
    reversal.merge({
      status: REVERSAL_STATES.reach(reversal.status, 'failed', 'stripe'),
      failureMessage: refusalMessage(error, true),
    })
    await reversal.save()
    await recordPaymentEvent(trx, {
      ...(await payerOfPayment(trx, transfer.paymentId)),
      orderLineId: transfer.orderLineId,
      paymentId: transfer.paymentId,
      transferId: transfer.id,
      refundId: reversal.refundId,
      disputeId: reversal.disputeId,
      actor: reversal.initiatedBy,
      type: 'transfer.reversal_failed',
      fromStatus: 'pending',
      toStatus: 'failed',
      amount: reversal.amount,
      currency: reversal.currency,
      message: refusalMessage(error, true),
    })
  },
}
