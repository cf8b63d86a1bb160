import type User from '#models/user'
import Service from '#models/service'
import Order from '#models/order'
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

/** An order placed through the real action (the card is authorized on the sandbox) */
export async function placeTestOrder(employer: User, service: Service, paymentMethodId?: string) {
  const order = await placeOrder(employer, { serviceId: service.id, paymentMethodId })
  return Order.findOrFail(order.id)
}
