import env from '#start/env'

/**
 * Marketplace policy.
 *
 * Holds: Stripe releases an uncaptured card authorization at the charge's
 * `capture_before` (7 days for most card payments, less for some, e.g. Visa
 * merchant-initiated ones). `node ace holds:expire` settles every order still
 * held `holdMarginHours` (24) before that moment (so at 6 days for a 7-day
 * hold): an order the contractor has not delivered is released (status
 * "expired", nothing charged); a delivered order the employer has not approved
 * is captured (the work was done) unless HOLD_EXPIRY_DELIVERED=release.
 */
const marketplaceConfig = {
  holdMarginHours: 24,
  /** When Stripe did not say (no capture_before): its usual authorization validity */
  defaultHoldDays: 7,
  deliveredHoldPolicy: env.get('HOLD_EXPIRY_DELIVERED', 'capture') as 'capture' | 'release',
}

export type MarketplaceConfig = typeof marketplaceConfig

export default marketplaceConfig
