import db from '@adonisjs/lucid/services/db'
import Service from '#models/service'

/**
 * Services anyone may see and order: active, offered by a contractor whose
 * Stripe account can take charges and receive transfers. The same columns as
 * `canTakeOrders` (orders/place_order), as one query.
 */
export function visibleServicesQuery() {
  return Service.query()
    .where('active', true)
    .whereNull('deletedAt')
    .whereIn(
      'contractorId',
      db
        .from('user_profiles')
        .select('user_id')
        .whereNotNull('stripe_id')
        .where('charges_enabled', true)
        .where('transfers_capability', 'active')
    )
}
