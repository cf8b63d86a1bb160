/*
 * Stripe's balance transaction types and payout statuses, as a contractor
 * would say them. Unknown values fall back to Stripe's own word, readable.
 */

const TRANSACTION_TYPES: Record<string, string> = {
  payment: 'Payment for an order',
  charge: 'Card payment',
  payment_refund: 'Refund to a client',
  refund: 'Refund to a client',
  payment_failure_refund: 'Failed payment returned',
  payment_reversal: 'Payment reversed',
  transfer: 'Transfer',
  transfer_refund: 'Transfer reversed',
  transfer_cancel: 'Transfer canceled',
  transfer_failure: 'Transfer failed',
  application_fee: 'Crewpay commission',
  application_fee_refund: 'Crewpay commission refunded',
  payout: 'Payout to your bank',
  payout_cancel: 'Payout canceled',
  payout_failure: 'Payout failed, money returned',
  adjustment: 'Adjustment',
  stripe_fee: 'Stripe fee',
  reserve_transaction: 'Reserve',
  reserved_funds: 'Reserved funds',
  connect_collection_transfer: 'Collection of a negative balance',
  topup: 'Top-up',
}

export function transactionTypeInWords(type: string) {
  return TRANSACTION_TYPES[type] ?? humanize(type)
}

const PAYOUT_STATUSES: Record<string, string> = {
  pending: 'On its way',
  in_transit: 'In transit',
  paid: 'Paid',
  failed: 'Failed',
  canceled: 'Canceled',
}

export function payoutStatusInWords(status: string) {
  return PAYOUT_STATUSES[status] ?? humanize(status)
}

export function transactionStatusInWords(status: string) {
  return status === 'available' ? 'Available' : status === 'pending' ? 'Pending' : humanize(status)
}

function humanize(word: string) {
  const text = word.replaceAll('_', ' ')
  return text.charAt(0).toUpperCase() + text.slice(1)
}
