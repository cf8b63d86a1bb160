import type User from '#models/user'
import { moveOrder, withLockedOrder } from '#actions/orders/order_state'
import { assertOrderStatus, assertParty } from '#actions/orders/order_errors'

/** The contractor says the work is done; the employer is asked to approve it */
export function deliverOrder(orderId: number, contractor: User) {
  return withLockedOrder(orderId, async (order, trx) => {
    assertParty(order, contractor.id, 'contractor')
    assertOrderStatus(order, ['accepted'], 'mark the order delivered')
    return moveOrder(trx, order, 'delivered', {
      actor: `user:${contractor.id}`,
      type: 'order.delivered',
    })
  })
}
