import db from '@adonisjs/lucid/services/db'

/** Orders still in progress: money held or work under way */
export const OPEN_ORDER_STATUSES = ['pending', 'authorized', 'accepted', 'delivered'] as const

/**
 * Whether an order still in progress uses the service (a service with one
 * cannot be deleted). Reads orders.service_id and orders.status today; the
 * one place to change when orders hold their services in order lines.
 */
export async function serviceHasOpenOrders(serviceId: number): Promise<boolean> {
  const open = await db
    .from('orders')
    .where('service_id', serviceId)
    .whereIn('status', [...OPEN_ORDER_STATUSES])
    .select('id')
    .first()
  return Boolean(open)
}
