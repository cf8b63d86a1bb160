import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import PaymentEvent from '#models/payment_event'

export interface PaymentEventData {
  orderId?: number | null
  orderLineId?: number | null
  paymentId?: number | null
  transferId?: number | null
  contractorDebitId?: number | null
  refundId?: number | null
  paymentRequestId?: number | null
  disputeId?: number | null
  actor: string
  type: string
  fromStatus?: string | null
  toStatus?: string | null
  amount?: number | null
  currency?: string | null
  stripeId?: string | null
  message?: string | null
}

/**
 * Appends one line to the audit, inside the caller's transaction so the line
 * exists exactly when the change it describes does.
 */
export function recordPaymentEvent(trx: TransactionClientContract | null, data: PaymentEventData) {
  return PaymentEvent.create(data, trx ? { client: trx } : undefined)
}
