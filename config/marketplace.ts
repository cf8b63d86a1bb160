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
 *
 * Lines of the charge flow (several lines, or a bank debit): a line nobody
 * accepted within LINE_ACCEPT_DAYS is canceled and refunded; a delivered line
 * nobody approved within AUTO_APPROVE_DAYS is approved, as escrow
 * marketplaces do.
 */
const marketplaceConfig = {
  holdMarginHours: 24,
  /** When Stripe did not say (no capture_before): its usual authorization validity */
  defaultHoldDays: 7,
  deliveredHoldPolicy: env.get('HOLD_EXPIRY_DELIVERED', 'capture') as 'capture' | 'release',
  /** A line the contractor has not accepted this many days after the order is canceled and refunded */
  lineAcceptDays: env.get('LINE_ACCEPT_DAYS', 7),
  /** A delivered line the employer has not approved this many days after delivery is approved */
  autoApproveDays: env.get('AUTO_APPROVE_DAYS', 14),
  /**
   * Off (default): the platform bears Stripe's processing fee on the charge
   * flow, as it does on destination charges; each contractor receives their
   * line's amount less its platform fee. On: each line's transfer is also
   * reduced by its share of Stripe's fee on the charge (in proportion to the
   * line amounts, shares adding up to the fee exactly).
   */
  stripeFeePassthrough: env.get('STRIPE_FEE_PASSTHROUGH', false),
  /**
   * Disputes take the disputed amount and a fee from the platform; Stripe
   * takes nothing from the contractor. When the funds are withdrawn, each
   * contractor concerned gives back their share of the disputed amount
   * (app/money/dispute_shares.ts), given back to them if the dispute is won:
   * `reverse` (default) reverses their transfer, falling back to a debit they
   * owe when their balance cannot cover it; `debit` debits their Stripe
   * balance (owed when it cannot); `none`: the platform bears it all.
   */
  disputeRecovery: env.get('DISPUTE_RECOVERY', 'reverse') as 'reverse' | 'debit' | 'none',
  /**
   * Who bears Stripe's dispute fee: `platform` (default), or `contractor`:
   * the contractors concerned give back their part of it with their share
   * (in proportion to their parts of the disputed amount), and get it back if
   * the dispute is won and Stripe returned the fee.
   */
  disputeFeePaidBy: env.get('DISPUTE_FEE_PAID_BY', 'platform') as 'platform' | 'contractor',
}

export type MarketplaceConfig = typeof marketplaceConfig

export default marketplaceConfig
