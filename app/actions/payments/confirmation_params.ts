import type Stripe from 'stripe'
import type Payment from '#models/payment'
import { appUrl } from '#config/app'
import { bankAccountPaying } from '#actions/billing/payment_methods'

/*
| How a payment's PaymentIntent is confirmed, from the payment row alone (a
| retry sends exactly the same request):
|
| - a bank debit (ACH): off session, under the mandate the employer accepted
|   when saving the account;
| - a card, the employer there (an order placed from the website, a payment
|   request paid from its link): on session with a return_url, so a card
|   that needs 3-D Secure ends in `requires_action` with a page to send the
|   employer to, and comes back to the order (or the payment);
| - a card otherwise (the console, the demo data): off session; a card that
|   needs authentication is declined with `authentication_required`.
*/

/** Where Stripe sends the employer back after authenticating an order's payment */
export function authenticationReturnUrl(orderId: number) {
  return new URL(`/orders/${orderId}/authenticated`, appUrl).href
}

/** Where Stripe sends the employer back after authenticating a payment request's payment */
export function paymentAuthenticationReturnUrl(paymentId: number) {
  return new URL(`/payments/${paymentId}/authenticated`, appUrl).href
}

export async function confirmationParams(
  payment: Payment
): Promise<Partial<Stripe.PaymentIntentCreateParams>> {
  if (payment.methodType === 'us_bank_account') {
    const bankAccount = await bankAccountPaying(payment)
    return {
      off_session: true,
      ...(bankAccount?.stripeMandateId ? { mandate: bankAccount.stripeMandateId } : {}),
    }
  }
  if (payment.onSession && payment.orderId !== null) {
    return { return_url: authenticationReturnUrl(payment.orderId) }
  }
  if (payment.onSession && payment.paymentRequestId !== null) {
    return { return_url: paymentAuthenticationReturnUrl(payment.id) }
  }
  return { off_session: true }
}
