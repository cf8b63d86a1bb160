import type User from '#models/user'
import Order from '#models/order'
import Service from '#models/service'
import UserProfile from '#models/user_profile'
import { ActionError } from '#exceptions/action_error'
import { requireStripeCustomer } from '#actions/billing/ensure_customer'
import { findCustomerCard } from '#actions/billing/list_cards'
import { authorizeOrder } from '#actions/orders/authorize_order'
import { orderFee } from '#actions/orders/order_fee'
import { recordPaymentEvent } from '#services/payment_events'

export interface PlaceOrderInput {
  serviceId: number
  note?: string | null
  /** One of the employer's saved cards; the default card otherwise */
  paymentMethodId?: string | null
  /** The order form's token: the same form submitted again is the same order */
  formToken?: string | null
}

/** Whether a contractor's account can take card payments and receive the transfer */
export function canTakeOrders(profile: UserProfile | null) {
  return Boolean(
    profile?.stripeId && profile.chargesEnabled && profile.transfersCapability === 'active'
  )
}

/**
 * An employer orders a service: the order row is written first (status
 * "pending"), then the card is authorized for the price (a hold, captured on
 * approval). A crash between the two leaves a pending order that the same
 * idempotency key can complete.
 */
export async function placeOrder(employer: User, input: PlaceOrderInput): Promise<Order> {
  const service = await Service.query().where('id', input.serviceId).where('active', true).first()
  if (!service) {
    throw new ActionError('This service is not available.', 404)
  }
  const contractorProfile = await UserProfile.findBy('userId', service.contractorId)
  if (!canTakeOrders(contractorProfile)) {
    throw new ActionError('This contractor cannot take orders right now.', 409)
  }

  const customerId = await requireStripeCustomer(employer)
  const employerProfile = await UserProfile.findByOrFail('userId', employer.id)
  const paymentMethodId = input.paymentMethodId || employerProfile.defaultPaymentMethodId
  if (!paymentMethodId) {
    throw new ActionError('Add a card before placing an order.', 422)
  }
  // Only the employer's own saved cards: never another customer's pm_ id
  if (input.paymentMethodId && !(await findCustomerCard(customerId, input.paymentMethodId))) {
    throw new ActionError('Choose one of your saved cards.', 422)
  }

  let order: Order
  try {
    order = await Order.create({
      employerId: employer.id,
      contractorId: service.contractorId,
      serviceId: service.id,
      note: input.note ?? null,
      amount: service.price,
      currency: service.currency,
      applicationFeeAmount: await orderFee(service.contractorId, service.price),
      status: 'pending',
      paymentMethodId,
      authorizationAttempts: 1,
      formToken: input.formToken ?? null,
    })
  } catch (error) {
    // The same form submitted again (unique per employer): that order, not a second one
    if ((error as { code?: string }).code === '23505' && input.formToken) {
      const twin = await Order.query()
        .where('employerId', employer.id)
        .where('formToken', input.formToken)
        .firstOrFail()
      return authorizeOrder(twin.id, `user:${employer.id}`)
    }
    throw error
  }
  await recordPaymentEvent(null, {
    orderId: order.id,
    actor: `user:${employer.id}`,
    type: 'order.placed',
    toStatus: 'pending',
    amount: order.amount,
    currency: order.currency,
  })

  return authorizeOrder(order.id, `user:${employer.id}`)
}
