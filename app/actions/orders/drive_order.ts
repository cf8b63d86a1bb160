import Payment, { DEAD_STATUSES } from '#models/payment'
import Refund from '#models/refund'
import Transfer from '#models/transfer'
import TransferReversal from '#models/transfer_reversal'
import { sendToStripe, type WriteOutcome } from '#stripe/write'
import { sendPaymentAction } from '#actions/payments/payment_actions'
import { sendTransfer } from '#actions/transfers/line_transfer'
import { sendTransferReversal } from '#actions/transfers/reverse_transfer'
import { failRefund, sendRefund } from '#actions/refunds/refund_records'
import db from '@adonisjs/lucid/services/db'
import { lockForOrder } from '#actions/orders/order_lock'

export interface DrivenWrite {
  operation: 'capture' | 'cancel' | 'reversal' | 'refund' | 'transfer'
  id: number
  outcome: WriteOutcome<unknown>
}

/**
 * Sends every Stripe write of an order that is written but not answered yet,
 * each with its own key (so sending one twice is harmless): captures and
 * cancels, then reversals (a contractor's share comes back before its
 * refund), refunds, transfers. Called after each change to an order commits,
 * and by retries and reconciliation for writes whose answer was lost.
 */
export async function driveOrder(orderId: number): Promise<DrivenWrite[]> {
  const driven: DrivenWrite[] = []

  const payments = await Payment.query()
    .where('orderId', orderId)
    .whereNotNull('pendingAction')
    .whereNotIn('status', DEAD_STATUSES)
  for (const payment of payments) {
    driven.push({
      operation: payment.pendingAction!,
      id: payment.id,
      outcome: await sendToStripe(sendPaymentAction, payment, {
        writtenAt: payment.pendingActionAt ?? payment.updatedAt,
      }),
    })
  }

  const orderPayments = await Payment.query().where('orderId', orderId).select('id')
  const paymentIds = orderPayments.map((payment) => payment.id)
  if (paymentIds.length === 0) {
    return driven
  }

  const reversals = await TransferReversal.query()
    .where('status', 'pending')
    .whereIn('transferId', Transfer.query().whereIn('paymentId', paymentIds).select('id'))
    .orderBy('id')
  for (const reversal of reversals) {
    driven.push({
      operation: 'reversal',
      id: reversal.id,
      outcome: await sendToStripe(sendTransferReversal, reversal, {
        writtenAt: reversal.createdAt,
      }),
    })
  }

  const refunds = await Refund.query()
    .whereIn('paymentId', paymentIds)
    .where('status', 'pending')
    .orderBy('id')
  for (const refund of refunds) {
    const reversal = await TransferReversal.findBy('refundId', refund.id)
    if (reversal?.status === 'pending') {
      // Its contractor share is not back yet: the refund waits for it
      continue
    }
    if (reversal?.status === 'failed' && refund.contractorOwes === null) {
      await closeUncoveredRefund(orderId, refund, reversal.failureMessage)
      continue
    }
    driven.push({
      operation: 'refund',
      id: refund.id,
      outcome: await sendToStripe(sendRefund, refund, { writtenAt: refund.createdAt }),
    })
  }

  const transfers = await Transfer.query()
    .whereIn('paymentId', paymentIds)
    .where('status', 'pending')
    // A won dispute's return is sent by driveDispute (from the platform's balance)
    .whereNot('kind', 'dispute_return')
    .orderBy('id')
  for (const transfer of transfers) {
    driven.push({
      operation: 'transfer',
      id: transfer.id,
      outcome: await sendToStripe(sendTransfer, transfer, { writtenAt: transfer.createdAt }),
    })
  }
  return driven
}

/**
 * A refund whose contractor share Stripe refused to reverse, and that the
 * platform was not asked to cover: nothing is refunded
 */
async function closeUncoveredRefund(orderId: number, refund: Refund, why: string | null) {
  await db.transaction(async (trx) => {
    await lockForOrder(trx, orderId)
    const row = await Refund.query({ client: trx }).where('id', refund.id).forUpdate().first()
    if (row?.status === 'pending') {
      await failRefund(
        trx,
        row,
        `Stripe refused to take back the contractor's share (${why ?? 'no reason given'}): nothing was refunded.`,
        row.initiatedBy,
        'system'
      )
    }
  })
}
