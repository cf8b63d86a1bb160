import Stripe from 'stripe'
import logger from '@adonisjs/core/services/logger'

/**
 * Stripe errors, in one place, as messages a person can act on. Card
 * declines keep Stripe's own wording (it is written for cardholders); the rest
 * is translated from Stripe's codes.
 */
const DECLINE_MESSAGES: Record<string, string> = {
  insufficient_funds: 'Your card has insufficient funds.',
  lost_card: 'Your card was declined.',
  stolen_card: 'Your card was declined.',
  generic_decline: 'Your card was declined.',
  authentication_required: 'This card needs authentication; use another card.',
  authentication_not_handled: 'This card needs authentication; use another card.',
}

const CODE_MESSAGES: Record<string, string> = {
  card_declined: 'Your card was declined.',
  expired_card: 'Your card has expired.',
  incorrect_cvc: "Your card's security code is incorrect.",
  processing_error: 'An error occurred while processing your card. Try again in a little bit.',
  incorrect_number: 'Your card number is incorrect.',
  authentication_required: 'This card needs authentication; use another card.',
  amount_too_small: 'The amount is below the minimum Stripe accepts for this currency.',
  amount_too_large: 'The amount is above the maximum Stripe accepts.',
  balance_insufficient: 'The balance is too low to cover this.',
  insufficient_capabilities_for_transfer:
    "The contractor's Stripe account cannot receive payments yet (onboarding is not complete).",
  payment_intent_unexpected_state: 'The payment is not in a state that allows this any more.',
  charge_already_refunded: 'This payment has already been fully refunded.',
  charge_expired_for_capture: 'The authorization expired before it was captured.',
  resource_missing: 'Stripe does not know this object any more.',
  routing_number_invalid: 'Stripe does not know this routing number; check it with your bank.',
  account_number_invalid: 'Stripe did not accept this account number; check it with your bank.',
  invalid_dob_age_under_minimum: 'You must be at least 18 years old to be paid on Crewpay.',
  invalid_phone_number: 'Stripe did not accept this phone number.',
  file_too_large: 'The file is too large: at most 10 MB.',
  charge_disputed:
    'This payment was charged back: Stripe refuses refunds while the chargeback is open and ' +
    'after it is lost (the bank already returned the money to the cardholder).',
  refund_disputed_payment:
    'This payment is disputed: Stripe refuses refunds while the dispute is open.',
  dispute_evidence_page_limit_exceeded:
    'The evidence is longer than the card network accepts: shorten the text or send fewer pages.',
}

export interface DescribedStripeError {
  message: string
  code: string | null
  declineCode: string | null
  requestId: string | null
  /** A decline or a card problem: the person can fix it with another card */
  isCardError: boolean
  /** Stripe could not be reached or failed: trying again later may work */
  isTransient: boolean
}

export function isStripeError(error: unknown): error is Stripe.errors.StripeError {
  return error instanceof Stripe.errors.StripeError
}

export function describeStripeError(error: unknown): DescribedStripeError {
  if (!isStripeError(error)) {
    return {
      message: 'Something went wrong. Please try again in a moment.',
      code: null,
      declineCode: null,
      requestId: null,
      isCardError: false,
      isTransient: false,
    }
  }
  const code = error.code ?? null
  const declineCode = error.decline_code ?? null
  const isCardError = error instanceof Stripe.errors.StripeCardError
  const isTransient =
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError

  let message: string
  if (isTransient) {
    // The request may or may not have reached Stripe: never claim nothing happened
    message =
      'Our payment provider could not be reached. Try again in a moment; a retry never charges twice.'
  } else if (declineCode && DECLINE_MESSAGES[declineCode]) {
    message = DECLINE_MESSAGES[declineCode]
  } else if (code && CODE_MESSAGES[code]) {
    message = CODE_MESSAGES[code]
  } else if (isCardError && error.message) {
    message = error.message
  } else {
    message = 'The payment provider refused this request. Please contact support.'
  }

  return {
    message,
    code,
    declineCode,
    requestId: error.requestId ?? null,
    isCardError,
    isTransient,
  }
}

/**
 * Logs a Stripe error with Stripe's request id (what Stripe support asks
 * for), never the request's parameters.
 */
export function reportStripeError(error: unknown, context: Record<string, unknown>) {
  const described = describeStripeError(error)
  logger.warn(
    {
      ...context,
      stripeCode: described.code,
      declineCode: described.declineCode,
      stripeRequestId: described.requestId,
      stripeType: isStripeError(error) ? error.type : undefined,
    },
    isStripeError(error) ? `Stripe: ${error.message}` : 'Stripe call failed'
  )
  return described
}
