import type User from '#models/user'
import Order from '#models/order'
import OrderLine from '#models/order_line'
import { DomainError } from '#exceptions/domain_error'
import { livePaymentOf } from '#actions/orders/order_parts'
import { authorizeOrderPayment, placeOrder, type Placement } from '#actions/orders/place_order'

/*
| "Pay again" after a failed payment (a bank debit returned, a declined card,
| a failed authentication). The failed order's lines are canceled and every
| state only moves forward, so the failed order is not reopened: a new order
| is placed for the same services (at their current price and fee plan), paid
| with the payment method chosen now, and points back at the failed one
| (`replaces_order_id`, unique: an order is paid again once). The contractors
| see a new request; the failed order stays as the record of what happened.
*/

function isSecondReplacement(error: unknown) {
  const failure = error as { code?: string; constraint?: string }
  return failure.code === '23505' && failure.constraint === 'orders_replaces_order_id_unique'
}

/** The order that pays again for this one, if there is one */
export async function replacementOf(orderId: number) {
  return Order.query().where('replacesOrderId', orderId).first()
}

/** Whether the employer may pay again for this order now (its payment failed, none placed yet) */
export async function canPayAgain(order: Order) {
  const payment = await livePaymentOf(order.id)
  return payment?.status === 'failed' && !(await replacementOf(order.id))
}

export async function payAgain(
  employer: User,
  order: Order,
  input: { paymentMethodId: string | null; formToken: string | null }
): Promise<Placement> {
  if (order.employerId !== employer.id) {
    throw DomainError.forbidden(`Only the employer of order #${order.id} can pay for it.`)
  }
  if (input.formToken) {
    // The same form sent twice: the order it already placed
    const twin = await Order.query()
      .where('employerId', employer.id)
      .where('formToken', input.formToken)
      .where('replacesOrderId', order.id)
      .first()
    if (twin) {
      return authorizeOrderPayment(twin, (await livePaymentOf(twin.id))!, {})
    }
  }
  const replacement = await replacementOf(order.id)
  if (replacement) {
    throw DomainError.conflict(
      `Order #${order.id} was already paid again as order #${replacement.id}.`
    )
  }
  const payment = await livePaymentOf(order.id)
  if (payment?.status !== 'failed') {
    throw DomainError.conflict(`Order #${order.id} has no failed payment to pay again.`)
  }
  const lines = await OrderLine.query().where('orderId', order.id).orderBy('id')
  const serviceIds = [
    ...new Set(lines.map((line) => line.serviceId).filter((id): id is number => id !== null)),
  ]
  if (serviceIds.length === 0) {
    throw DomainError.conflict('The services of this order are no longer offered.')
  }
  try {
    return await placeOrder(employer, {
      serviceIds,
      note: order.note,
      paymentMethodId: input.paymentMethodId,
      formToken: input.formToken,
      onSession: true,
      replacesOrderId: order.id,
    })
  } catch (error) {
    if (isSecondReplacement(error)) {
      const placed = await replacementOf(order.id)
      throw DomainError.conflict(
        `Order #${order.id} was already paid again${placed ? ` as order #${placed.id}` : ''}.`
      )
    }
    throw error
  }
}
