import type User from '#models/user'
import Service from '#models/service'
import Order from '#models/order'
import OrderLine from '#models/order_line'
import Payment from '#models/payment'
import Transfer from '#models/transfer'
import { placeOrder } from '#actions/orders/place_order'

export async function createService(
  contractor: User,
  attributes: Partial<{ title: string; price: number; currency: string; active: boolean }> = {}
) {
  return Service.create({
    contractorId: contractor.id,
    title: attributes.title ?? 'Kitchen repaint',
    description: 'Two coats, materials included.',
    price: attributes.price ?? 12000,
    currency: attributes.currency ?? 'usd',
    active: attributes.active ?? true,
  })
}

/** An order placed through the real action (the payment is authorized or charged on the sandbox) */
export async function placeTestOrder(
  employer: User,
  services: Service | Service[],
  paymentMethodId?: string
) {
  const { order } = await placeOrder(employer, {
    serviceIds: (Array.isArray(services) ? services : [services]).map((service) => service.id),
    paymentMethodId,
  })
  return Order.findOrFail(order.id)
}

/**
 * An order as the database has it now: its lines, its live payment (or its
 * latest) and its transfers
 */
export async function stateOf(orderOrId: Order | number) {
  const orderId = typeof orderOrId === 'number' ? orderOrId : orderOrId.id
  const order = await Order.findOrFail(orderId)
  const lines = await OrderLine.query().where('orderId', orderId).orderBy('id')
  const payments = await Payment.query().where('orderId', orderId).orderBy('id')
  const payment =
    payments.find((candidate) => !['failed', 'canceled'].includes(candidate.status)) ??
    payments.at(-1)!
  const transfers = await Transfer.query()
    .whereIn(
      'paymentId',
      payments.map((candidate) => candidate.id)
    )
    .orderBy('id')
  return { order, lines, line: lines[0], payments, payment, transfers }
}
