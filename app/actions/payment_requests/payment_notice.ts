import type Payment from '#models/payment'
import { formatAmount } from '#money/amounts'
import { REQUEST_PAYMENT_UNKNOWN } from '#domain/payment_request_summary'
import type { Notice } from '#services/notices'

/**
 * What the employer is told about a request payment after paying, coming
 * back from their bank's page, or canceling: in plain words, by status.
 */
export function requestPaymentNotice(
  payment: Pick<Payment, 'status' | 'amount' | 'currency' | 'failureMessage'>,
  context: 'paid' | 'authenticated' = 'paid'
): Notice {
  const money = formatAmount(payment.amount, payment.currency)
  switch (payment.status) {
    case 'succeeded':
    case 'partially_refunded':
    case 'refunded':
      return {
        kind: 'success',
        text: `You paid ${money}. Your receipt is below and on its way by email.`,
      }
    case 'processing':
      return {
        kind: 'success',
        text: `Your bank payment of ${money} is processing: it usually takes 4 business days, and counts once it clears.`,
      }
    // Nothing failed: the person waits for, or acts with, their bank
    case 'pending':
      return { kind: 'warning', text: REQUEST_PAYMENT_UNKNOWN }
    case 'requires_action':
      return {
        kind: 'warning',
        text:
          context === 'paid'
            ? `Your bank asks you to confirm this payment of ${money}: continue with your bank below.`
            : `Your bank has not confirmed your payment of ${money} yet: continue with your bank below, or cancel it to pay another way.`,
      }
    case 'canceled':
      return {
        kind: 'warning',
        text: `Your payment of ${money} was canceled before your bank confirmed it: nothing was charged.`,
      }
    default:
      return {
        kind: 'error',
        text:
          context === 'authenticated'
            ? `Your payment of ${money} was not made: ${payment.failureMessage ?? 'your bank did not confirm it.'} Nothing was charged; the balance is due again.`
            : (payment.failureMessage ?? 'The payment could not be made.'),
      }
  }
}
