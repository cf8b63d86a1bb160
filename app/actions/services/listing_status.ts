import type Service from '#models/service'
import type UserProfile from '#models/user_profile'
import { canTakeOrders } from '#actions/orders/place_order'

/**
 * Whether a service is on the public listing, and if not, why: the one
 * answer the contractor's badge and the listing (visibleServicesQuery, the
 * same conditions as one query) agree on.
 */
export interface ListingStatus {
  listed: boolean
  /** `listed`, `deactivated` (the contractor took it off) or `account` (Stripe cannot take payments yet) */
  key: 'listed' | 'deactivated' | 'account'
  label: string
  /** Every reason it is not listed, in plain words; empty when listed */
  reasons: string[]
}

export const NOT_LISTED_DEACTIVATED = 'you deactivated it'
export const NOT_LISTED_ACCOUNT = 'your Stripe account cannot take payments yet (finish onboarding)'

export function listingStatus(
  service: Pick<Service, 'active'>,
  contractorProfile: UserProfile | null
): ListingStatus {
  const reasons: string[] = []
  if (!service.active) {
    reasons.push(NOT_LISTED_DEACTIVATED)
  }
  if (!canTakeOrders(contractorProfile)) {
    reasons.push(NOT_LISTED_ACCOUNT)
  }
  if (reasons.length === 0) {
    return { listed: true, key: 'listed', label: 'Listed', reasons }
  }
  return {
    listed: false,
    key: service.active ? 'account' : 'deactivated',
    label: 'Not listed',
    reasons,
  }
}
