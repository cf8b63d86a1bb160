import Transfer, { TRANSFER_STATES } from '#models/transfer'
import { DomainError } from '#exceptions/domain_error'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount } from '#money/amounts'
import { withOrderLock } from '#actions/orders/order_lock'
import { lineOf } from '#actions/orders/order_parts'
import { driveOrder } from '#actions/orders/drive_order'

/**
 * Sends a line's transfer again: one Stripe refused (a new attempt, with its
 * own key) or one whose answer was lost (the same key). A paid transfer is
 * never sent twice.
 */
export async function retryTransfer(orderId: number, lineId: number | null, actor: string) {
  const transfer = await withOrderLock(orderId, async (trx, order) => {
    const line = await lineOf(trx, order, lineId)
    const row = await Transfer.query({ client: trx })
      .where('orderLineId', line.id)
      .forUpdate()
      .first()
    if (!row) {
      throw DomainError.conflict(
        line.status === 'approved'
          ? `Line #${line.id} has no transfer yet: it is sent once the payment has succeeded.`
          : `Line #${line.id} is ${line.status}: only approved work is paid out.`
      )
    }
    if (row.status === 'paid') {
      throw DomainError.conflict(
        `Transfer #${row.id} of ${formatAmount(row.amount, row.currency)} was already paid (${row.stripeTransferId}): nothing to retry.`
      )
    }
    if (row.status === 'failed') {
      row.useTransaction(trx)
      row.merge({
        status: TRANSFER_STATES.reach(row.status, 'pending', 'admin'),
        attempts: row.attempts + 1,
        initiatedBy: actor,
      })
      await row.save()
      await recordPaymentEvent(trx, {
        orderId: order.id,
        orderLineId: line.id,
        paymentId: row.paymentId,
        transferId: row.id,
        actor,
        type: 'transfer.requested',
        fromStatus: 'failed',
        toStatus: 'pending',
        amount: row.amount,
        currency: row.currency,
        message: `Attempt ${row.attempts} after: ${row.failureMessage ?? 'a refusal'}`,
      })
    }
    return row
  })
  await driveOrder(orderId)
  return Transfer.findOrFail(transfer.id)
}
