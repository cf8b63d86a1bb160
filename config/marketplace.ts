import env from '#start/env'

/**
 * Marketplace policy.
 *
 * Holds: Stripe releases an uncaptured card authorization after 7 days. At
 * `holdDays` (6) `node ace holds:expire` settles every order still held, a day
 * before Stripe would: an order the contractor has not delivered is released
 * (status "expired", nothing charged); a delivered order the employer has not
 * approved is captured (the work was done) unless HOLD_EXPIRY_DELIVERED=release.
 */
const marketplaceConfig = {
  holdDays: 6,
  deliveredHoldPolicy: env.get('HOLD_EXPIRY_DELIVERED', 'capture') as 'capture' | 'release',
}

export type MarketplaceConfig = typeof marketplaceConfig

export default marketplaceConfig
