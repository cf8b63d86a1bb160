import type { TestCard } from '../test_cards.js'

/*
 * Stripe's dispute test PaymentMethods (§15.7 of the disputes fact sheet) and
 * the dispute each one opens once its charge has been captured. Everything
 * here is keyed by the test PaymentMethod id the payment was made with, so a
 * payment method of another type (the ACH `pm_usBankAccount_dispute`) plugs
 * in by calling scheduleTestDispute() with its id when its charge succeeds.
 */

/** What a dispute looks like when it opens. */
export interface DisputeProfile {
  reason: string
  /** chargeback: money is withdrawn; inquiry: no money moves until escalated */
  caseType: 'chargeback' | 'inquiry'
  /** card network's reason code (observed in test mode) */
  networkReasonCode: string | null
  /** ACH Direct Debit dispute: final at once, no evidence, no due date (§15.9, UNCONFIRMED) */
  bankDebit?: boolean
}

const visa = (number: string): TestCard => ({
  number,
  brand: 'visa',
  funding: 'credit',
  country: 'US',
})

/** Cards that pay normally, then get disputed (merged into TEST_CARDS). */
export const DISPUTE_CARDS: Record<string, TestCard> = {
  pm_card_createDispute: visa('4000000000000259'),
  pm_card_createDisputeProductNotReceived: visa('4000000000002685'),
  pm_card_createDisputeInquiry: visa('4000000000001976'),
}

/** Test PaymentMethod id → the dispute its captured charge receives. */
export const DISPUTE_PROFILES: Record<string, DisputeProfile> = {
  pm_card_createDispute: {
    reason: 'fraudulent',
    caseType: 'chargeback',
    networkReasonCode: '10.4',
  },
  pm_card_createDisputeProductNotReceived: {
    reason: 'product_not_received',
    caseType: 'chargeback',
    networkReasonCode: '13.1',
  },
  // Stripe's fixture shows an inquiry with reason `general` (the card's reason is UNCONFIRMED).
  pm_card_createDisputeInquiry: {
    reason: 'general',
    caseType: 'inquiry',
    networkReasonCode: '10',
  },
  // Wired once ACH PaymentMethods exist: account 000555555559 is disputed after it succeeds.
  pm_usBankAccount_dispute: {
    reason: 'debit_not_authorized',
    caseType: 'chargeback',
    networkReasonCode: null,
    bankDebit: true,
  },
}

export function disputeProfileFor(testPaymentMethod: string | null | undefined) {
  if (!testPaymentMethod || !Object.hasOwn(DISPUTE_PROFILES, testPaymentMethod)) {
    return undefined
  }
  return DISPUTE_PROFILES[testPaymentMethod]
}
