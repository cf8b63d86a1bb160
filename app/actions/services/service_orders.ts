import OrderLine, { OPEN_LINE_STATUSES } from '#models/order_line'

/**
 * Whether work still in progress uses the service: a line requested,
 * accepted or delivered (a service with one cannot be deleted).
 */
export async function serviceHasOpenOrders(serviceId: number): Promise<boolean> {
  const open = await OrderLine.query()
    .where('serviceId', serviceId)
    .whereIn('status', OPEN_LINE_STATUSES)
    .select('id')
    .first()
  return Boolean(open)
}
