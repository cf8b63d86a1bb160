import { DISPUTE_CARDS } from './disputes/test_cards.js'

/*
 * Stripe's test PaymentMethods (`pm_card_*`) and what each one does (§2.2 of
 * the fact sheet). Using one of these ids anywhere a PaymentMethod is
 * accepted materialises a fresh `pm_…` carrying the card's details.
 */

export interface Decline {
  code: string
  declineCode: string
  message: string
}

export type AuthBehaviour =
  /** every payment needs 3DS; off-session attempts fail `authentication_required` */
  | 'always'
  /** SetupIntents need 3DS; once set up, off-session payments go through */
  | 'on_setup'
  /** treated as already set up: on-session needs 3DS, off-session succeeds */
  | 'setup_for_off_session'

export interface TestCard {
  number: string
  brand: string
  funding: 'credit' | 'debit' | 'prepaid'
  country: string
  /** declines at attach, setup and every charge */
  decline?: Decline
  /** attaches and sets up fine, but every charge declines */
  chargeDecline?: Decline
  auth?: AuthBehaviour
  /** charge funds land directly in the available balance */
  bypassPending?: boolean
}

const DECLINED = 'Your card was declined.'

export const DECLINES = {
  generic: { code: 'card_declined', declineCode: 'generic_decline', message: DECLINED },
  insufficientFunds: {
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  lostCard: { code: 'card_declined', declineCode: 'lost_card', message: DECLINED },
  stolenCard: { code: 'card_declined', declineCode: 'stolen_card', message: DECLINED },
  expiredCard: {
    code: 'expired_card',
    declineCode: 'expired_card',
    message: 'Your card has expired.',
  },
  incorrectCvc: {
    code: 'incorrect_cvc',
    declineCode: 'incorrect_cvc',
    message: "Your card's security code is incorrect.",
  },
  processingError: {
    code: 'processing_error',
    declineCode: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
  },
  velocity: { code: 'card_declined', declineCode: 'card_velocity_exceeded', message: DECLINED },
  fraudulent: { code: 'card_declined', declineCode: 'fraudulent', message: DECLINED },
  authenticationRequired: {
    code: 'authentication_required',
    declineCode: 'authentication_required',
    message: 'Your card was declined. This transaction requires authentication.',
  },
} satisfies Record<string, Decline>

const visa = (number: string, extra: Partial<TestCard> = {}): TestCard => ({
  number,
  brand: 'visa',
  funding: 'credit',
  country: 'US',
  ...extra,
})

export const TEST_CARDS: Record<string, TestCard> = {
  // Cards that are disputed after capture (disputes/test_cards.ts)
  ...DISPUTE_CARDS,
  pm_card_visa: visa('4242424242424242'),
  pm_card_visa_debit: visa('4000056655665556', { funding: 'debit' }),
  pm_card_mastercard: { ...visa('5555555555554444'), brand: 'mastercard' },
  pm_card_mastercard_debit: { ...visa('5200828282828210'), brand: 'mastercard', funding: 'debit' },
  pm_card_mastercard_prepaid: {
    ...visa('5105105105105100'),
    brand: 'mastercard',
    funding: 'prepaid',
  },
  pm_card_amex: { ...visa('378282246310005'), brand: 'amex' },
  pm_card_amex_threeDSecureNotSupported: { ...visa('378282246310005'), brand: 'amex' },
  pm_card_discover: { ...visa('6011111111111117'), brand: 'discover' },
  pm_card_diners: { ...visa('3056930009020004'), brand: 'diners' },
  pm_card_jcb: { ...visa('3566002020360505'), brand: 'jcb', country: 'JP' },
  pm_card_unionpay: { ...visa('6200000000000005'), brand: 'unionpay', country: 'CN' },
  pm_card_us: visa('4000000760000002'),
  pm_card_gb: visa('4000008260000000', { country: 'GB' }),
  pm_card_de: visa('4000002760000016', { country: 'DE' }),
  pm_card_fr: visa('4000002500000003', { country: 'FR' }),
  pm_card_ca: visa('4000001240000000', { country: 'CA' }),
  pm_card_au: visa('4000000360000006', { country: 'AU' }),
  pm_card_jp: visa('4000003920000003', { country: 'JP' }),
  pm_card_bypassPending: visa('4000000000000077', { bypassPending: true }),
  pm_card_bypassPendingInternational: visa('4000003720000278', {
    bypassPending: true,
    country: 'GB',
  }),
  pm_card_visa_chargeDeclined: visa('4000000000000002', { decline: DECLINES.generic }),
  pm_card_chargeDeclined: visa('4000000000000002', { decline: DECLINES.generic }),
  pm_card_visa_chargeDeclinedInsufficientFunds: visa('4000000000009995', {
    decline: DECLINES.insufficientFunds,
  }),
  pm_card_chargeDeclinedInsufficientFunds: visa('4000000000009995', {
    decline: DECLINES.insufficientFunds,
  }),
  pm_card_visa_chargeDeclinedLostCard: visa('4000000000009987', { decline: DECLINES.lostCard }),
  pm_card_chargeDeclinedLostCard: visa('4000000000009987', { decline: DECLINES.lostCard }),
  pm_card_visa_chargeDeclinedStolenCard: visa('4000000000009979', {
    decline: DECLINES.stolenCard,
  }),
  pm_card_chargeDeclinedStolenCard: visa('4000000000009979', { decline: DECLINES.stolenCard }),
  pm_card_chargeDeclinedExpiredCard: visa('4000000000000069', { decline: DECLINES.expiredCard }),
  pm_card_chargeDeclinedIncorrectCvc: visa('4000000000000127', {
    decline: DECLINES.incorrectCvc,
  }),
  pm_card_chargeDeclinedProcessingError: visa('4000000000000119', {
    decline: DECLINES.processingError,
  }),
  pm_card_visa_chargeDeclinedVelocityLimitExceeded: visa('4000000000006975', {
    decline: DECLINES.velocity,
  }),
  pm_card_chargeDeclinedFraudulent: visa('4100000000000019', { decline: DECLINES.fraudulent }),
  pm_card_chargeCustomerFail: visa('4000000000000341', { chargeDecline: DECLINES.generic }),
  pm_card_authenticationRequired: visa('4000002760003184', { auth: 'always', country: 'DE' }),
  pm_card_threeDSecure2Required: visa('4000000000003220', { auth: 'always' }),
  pm_card_authenticationRequiredOnSetup: visa('4000002500003155', {
    auth: 'on_setup',
    country: 'FR',
  }),
  pm_card_authenticationRequiredSetupForOffSession: visa('4000003800000446', {
    auth: 'setup_for_off_session',
    country: 'IE',
  }),
  pm_card_authenticationRequiredChargeDeclinedInsufficientFunds: visa('4000008260003178', {
    auth: 'setup_for_off_session',
    chargeDecline: DECLINES.insufficientFunds,
    country: 'GB',
  }),
  pm_card_threeDSecureOptional: visa('4000000000003055'),
}

export function lookupTestCard(name: string): TestCard | undefined {
  return Object.hasOwn(TEST_CARDS, name) ? TEST_CARDS[name] : undefined
}
