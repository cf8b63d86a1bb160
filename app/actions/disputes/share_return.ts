import type Stripe from 'stripe'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import DisputeLine from '#models/dispute_line'
import Transfer, { TRANSFER_STATES } from '#models/transfer'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount } from '#money/amounts'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import type { StripeWrite } from '#stripe/write'
import { lockForPaymentId, payerOfPayment } from '#actions/orders/order_lock'
import { findTransferOnStripe } from '#actions/transfers/line_transfer'
import { FAILURE_MESSAGE_LENGTH } from '#actions/refunds/refund_records'

/*
| A won dispute gives a contractor back what was taken from them: a new
| transfer (Stripe cannot undo a reversal), kind `dispute_return`, one per
| contractor and dispute (unique), from the platform's balance (the
| reinstated funds: available at once; the charge's own funds already went
| out with the first transfer). Written pending, sent with the key
| "transfer:<id>:<uuid>:create[:attempt]"; a refusal (the platform's balance
| short) is tried again by the next drive, with a new attempt's key.
*/

/** The line an audit line about a contractor's return names (their first line in the dispute) */
async function lineOfReturn(trx: TransactionClientContract, transfer: Transfer) {
  const line = await DisputeLine.query({ client: trx })
    .where('disputeId', transfer.disputeId!)
    .where('contractorId', transfer.contractorId)
    .orderBy('id')
    .first()
  return line?.orderLineId ?? null
}

export const sendShareReturn: StripeWrite<Transfer, Stripe.Transfer> = {
  operation: 'dispute_return',
  label: (transfer) => `transfer #${transfer.id} (dispute #${transfer.disputeId})`,
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
        transfer_group: payment.orderId ? `order_${payment.orderId}` : undefined,
        description: `Crewpay dispute #${transfer.disputeId} won: your share given back`,
        metadata: {
          crewpay_transfer: transfer.reference,
          transfer_id: String(transfer.id),
          dispute_id: String(transfer.disputeId),
          ...(payment.orderId ? { order_id: String(payment.orderId) } : {}),
        },
      },
      { idempotencyKey: key }
    )
  },
  find: findTransferOnStripe,
  async lock(trx, transfer) {
    await lockForPaymentId(trx, transfer.paymentId)
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
      ...(await payerOfPayment(trx, transfer.paymentId)),
      orderLineId: await lineOfReturn(trx, transfer),
      paymentId: transfer.paymentId,
      transferId: transfer.id,
      disputeId: transfer.disputeId,
      actor: transfer.initiatedBy,
      type: 'transfer.returned',
      fromStatus: 'pending',
      toStatus: 'paid',
      amount: transfer.amount,
      currency: transfer.currency,
      stripeId: answer.id,
    })
  },
  async refuse(trx, transfer, error) {
    const message =
      error.code === 'balance_insufficient'
        ? `The platform's available Stripe balance cannot cover giving back ${formatAmount(transfer.amount, transfer.currency)} yet: it is tried again later.`
        : error.message
    transfer.useTransaction(trx)
    transfer.merge({
      status: TRANSFER_STATES.reach(transfer.status, 'failed', 'stripe'),
      failureMessage: message.slice(0, FAILURE_MESSAGE_LENGTH),
    })
    await transfer.save()
    await recordPaymentEvent(trx, {
      ...(await payerOfPayment(trx, transfer.paymentId)),
      orderLineId: await lineOfReturn(trx, transfer),
      paymentId: transfer.paymentId,
      transferId: transfer.id,
      disputeId: transfer.disputeId,
      actor: transfer.initiatedBy,
      type: 'transfer.return_failed',
      fromStatus: 'pending',
      toStatus: 'failed',
      amount: transfer.amount,
      currency: transfer.currency,
      message,
    })
  },
}
