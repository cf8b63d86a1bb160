import type Stripe from 'stripe'
import type Payment from '#models/payment'
import PaymentRequest from '#models/payment_request'
import UserProfile from '#models/user_profile'

/**
 * A request payment's PaymentIntent (destination flow): a destination charge
 * to the contractor with the payment's fee as application fee, captured at
 * once. Everything comes from the payment row, so a retry sends the same
 * request with the same key:
 * - a card the employer pays with on the page (new or saved) is confirmed on
 *   session with a return_url (confirmation_params.ts): a bank asking for
 *   3-D Secure leaves it `requires_action`, and the employer is sent to the
 *   bank's page and back to /payments/:id/authenticated; a new card is saved
 *   for later when asked (setup_future_usage);
 * - a bank debit the employer authorizes on the page is on session too, but
 *   cannot wait for an action (error_on_requires_action);
 * - anything paid from the console is charged off session: the admin cannot
 *   authenticate for the cardholder, so a card that asks fails at once;
 * - a bank debit carries the employer's authorization given on the page
 *   (mandate_data), or else the mandate saved with the account.
 */
export async function requestIntentParams(
  payment: Payment,
  base: Stripe.PaymentIntentCreateParams
): Promise<Stripe.PaymentIntentCreateParams> {
  const request = await PaymentRequest.findOrFail(payment.paymentRequestId)
  const contractor = await UserProfile.findByOrFail('userId', request.contractorId)
  // The employer authorizes this debit on the page (mandate_data below);
  // Stripe refuses a saved account's mandate alongside a new authorization
  const { off_session: offSession, mandate: savedMandate, ...rest } = base
  const params: Stripe.PaymentIntentCreateParams = {
    ...rest,
    capture_method: 'automatic',
    application_fee_amount: payment.applicationFeeAmount ?? 0,
    transfer_data: { destination: contractor.stripeId! },
    description: `Crewpay payment request #${request.id}`,
    metadata: {
      ...base.metadata,
      payment_request_id: String(request.id),
      contractor_id: String(request.contractorId),
    },
  }
  if (!payment.onSession) {
    params.off_session = offSession
  } else if (payment.methodType === 'us_bank_account') {
    params.error_on_requires_action = true
  }
  if (payment.setupFutureUsage) {
    params.setup_future_usage = payment.setupFutureUsage
  }
  const acceptance = payment.mandateAcceptance
  if (payment.methodType === 'us_bank_account' && !acceptance && savedMandate) {
    params.mandate = savedMandate
  }
  if (payment.methodType === 'us_bank_account' && acceptance) {
    params.mandate_data = {
      customer_acceptance:
        acceptance.type === 'online'
          ? {
              type: 'online',
              online: { ip_address: acceptance.ipAddress, user_agent: acceptance.userAgent },
            }
          : { type: 'offline', offline: {} },
    }
  }
  return params
}
