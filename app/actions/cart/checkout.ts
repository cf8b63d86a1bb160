import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import Order from '#models/order'
import { DomainError } from '#exceptions/domain_error'
import { loadCart } from '#actions/cart/cart'
import { authorizeOrderPayment, placeOrder } from '#actions/orders/place_order'
import { livePaymentOf } from '#actions/orders/order_parts'

export interface CheckoutInput {
  paymentMethodId?: string | null
  note?: string | null
  /** The checkout form's token: the same form sent twice is one order and one payment */
  formToken?: string | null
  /** The employer is at the page: a card may ask for 3-D Secure (place_order.ts) */
  onSession?: boolean
}

/**
 * Orders everything in the cart at once: one order, one payment (a hold for
 * a single card line, a charge otherwise), the cart emptied unless the
 * payment failed (so the employer can try another payment method).
 */
export async function checkout(employer: User, input: CheckoutInput) {
  if (input.formToken) {
    const twin = await Order.query()
      .where('employerId', employer.id)
      .where('formToken', input.formToken)
      .first()
    if (twin) {
      return authorizeOrderPayment(twin, (await livePaymentOf(twin.id))!, {})
    }
  }
  const cart = await loadCart(employer)
  if (cart.problem) {
    throw DomainError.conflict(cart.problem)
  }
  const serviceIds = cart.lines.map((line) => line.service.id)
  const placement = await placeOrder(employer, { ...input, serviceIds })
  if (placement.payment.status !== 'failed') {
    await db
      .from('cart_items')
      .where('employer_id', employer.id)
      .whereIn('service_id', serviceIds)
      .delete()
  }
  return placement
}
