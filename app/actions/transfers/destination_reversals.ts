import type Stripe from 'stripe'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Payment from '#models/payment'
import Transfer from '#models/transfer'
import TransferReversal from '#models/transfer_reversal'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount } from '#money/amounts'

/**
 * A destination charge's transfer (an order's hold, a request's payment) is
 * made and reversed by Stripe itself: a refund with reverse_transfer, a
 * reversal made on the Dashboard. Its row follows Stripe's amount_reversed,
 * forward only, each increase a `transfer.reversed` line, so the records say
 * what the contractor gave back. The caller holds the payment's lock and read
 * the transfer from Stripe before taking it.
 */
export async function followDestinationReversals(
  trx: TransactionClientContract,
  payment: Payment,
  onStripe: Pick<Stripe.Transfer, 'id' | 'amount_reversed' | 'currency'>,
  actor: string,
  /** The refund that took it back, when known (its timeline line says the split) */
  refundId: number | null = null
) {
  if (payment.flow === 'charge') {
    return
  }
  const row = await Transfer.query({ client: trx })
    .where('paymentId', payment.id)
    .where('kind', 'destination')
    .where('stripeTransferId', onStripe.id)
    .forUpdate()
    .first()
  if (!row) {
    return
  }
  await followReversedTotal(trx, payment, row, onStripe, actor, { refundId })
}

/**
 * A transfer row (locked by the caller) follows Stripe's amount_reversed,
 * forward only, with a `transfer.reversed` line for the increase. Our own
 * reversals still pending are left out: their amount is added when their
 * answer is recorded (reverse_transfer.ts), not twice.
 */
export async function followReversedTotal(
  trx: TransactionClientContract,
  payment: Payment,
  row: Transfer,
  onStripe: Pick<Stripe.Transfer, 'id' | 'amount_reversed' | 'currency'>,
  actor: string,
  options: { refundId?: number | null; message?: string } = {}
) {
  const pending = await TransferReversal.query({ client: trx })
    .where('transferId', row.id)
    .where('status', 'pending')
  const reversed = Math.min(
    onStripe.amount_reversed - pending.reduce((sum, reversal) => sum + reversal.amount, 0),
    row.amount
  )
  if (reversed <= row.amountReversed) {
    return
  }
  const more = reversed - row.amountReversed
  row.useTransaction(trx)
  row.amountReversed += more
  await row.save()
  await recordPaymentEvent(trx, {
    orderId: payment.orderId,
    orderLineId: row.orderLineId,
    paymentId: payment.id,
    paymentRequestId: payment.paymentRequestId,
    transferId: row.id,
    refundId: options.refundId ?? null,
    actor,
    type: 'transfer.reversed',
    amount: more,
    currency: row.currency,
    stripeId: onStripe.id,
    message:
      options.message ??
      `${formatAmount(row.amountReversed, row.currency)} of ${formatAmount(row.amount, row.currency)} taken back from the contractor by Stripe`,
  })
}
