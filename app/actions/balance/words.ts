/*
 * Stripe's balance transaction types and payout statuses, as a contractor
 * would say them. Unknown values fall back to Stripe's own word, readable.
 */

const TRANSACTION_TYPES: Record<string, string> = {
  payment: 'Payment for an order',
  charge: 'Card payment',
  payment_refund: 'Refund to the employer',
  refund: 'Refund to the employer',
  payment_failure_refund: 'Failed payment returned',
  payment_reversal: 'Payment reversed',
  transfer: 'Debit by Crewpay',
  transfer_refund: 'Transfer reversed',
  transfer_cancel: 'Transfer canceled',
  transfer_failure: 'Transfer failed',
  application_fee: 'Crewpay fee',
  application_fee_refund: 'Crewpay fee given back with a refund',
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

const WEEKDAYS: Record<string, string> = {
  monday: 'Monday',
  tuesday: 'Tuesday',
  wednesday: 'Wednesday',
  thursday: 'Thursday',
  friday: 'Friday',
  saturday: 'Saturday',
  sunday: 'Sunday',
}

/** The account's payout schedule, as "every day" (null when Stripe did not say) */
export function payoutScheduleInWords(
  schedule:
    | { interval?: string | null; weekly_anchor?: string | null; monthly_anchor?: number | null }
    | null
    | undefined
) {
  switch (schedule?.interval) {
    case 'daily':
      return 'every day'
    case 'weekly':
      return schedule.weekly_anchor
        ? `every ${WEEKDAYS[schedule.weekly_anchor] ?? humanize(schedule.weekly_anchor)}`
        : 'every week'
    case 'monthly':
      return schedule.monthly_anchor
        ? `every month, on day ${schedule.monthly_anchor}`
        : 'every month'
    case 'manual':
      return 'when Crewpay sends it (manual payouts)'
    default:
      return null
  }
}

export function transactionStatusInWords(status: string) {
  return status === 'available' ? 'Available' : status === 'pending' ? 'Pending' : humanize(status)
}

function humanize(word: string) {
  const text = word.replaceAll('_', ' ')
  return text.charAt(0).toUpperCase() + text.slice(1)
}
