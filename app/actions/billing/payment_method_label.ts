import type Payment from '#models/payment'
import BankAccount from '#models/bank_account'

// Apart from payment_methods.ts (which reaches Stripe) so that reading a
// label, as `orders:show` does, loads no Stripe SDK.
/** How a payment is paid, in words: "Bank debit from STRIPE TEST BANK ···· 6789", "Card" */
export async function paymentMethodLabel(payment: Payment) {
  if (payment.methodType !== 'us_bank_account') {
    return 'Card'
  }
  const bankAccount = payment.paymentMethodId
    ? await BankAccount.query()
        .where('employerId', payment.employerId)
        .where('stripePaymentMethodId', payment.paymentMethodId)
        .first()
    : null
  return bankAccount ? `Bank debit from ${bankAccount.label}` : 'Bank debit'
}
