import User from '#models/user'
import UserProfile from '#models/user_profile'
import { canTakeOrders } from '#actions/orders/place_order'
import { isRecordId } from '#services/record_id'

/**
 * A contractor the public may see: one whose Stripe account can take orders
 * (as for their services on the listing). Anybody else, an employer, an
 * admin or an unknown id, is null.
 */
export async function findPublicContractor(id: unknown) {
  if (!isRecordId(id)) {
    return null
  }
  const contractor = await User.query().where('id', id).where('role', 'contractor').first()
  if (!contractor) {
    return null
  }
  const profile = await UserProfile.findBy('userId', contractor.id)
  return canTakeOrders(profile) ? contractor : null
}
