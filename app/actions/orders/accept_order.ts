import type User from '#models/user'
import { moveOrder, withLockedOrder } from '#actions/orders/order_state'
import { assertOrderStatus, assertParty } from '#actions/orders/order_errors'

/** The contractor takes the job; the money stays held on the card */
export function acceptOrder(orderId: number, contractor: User) {
  return withLockedOrder(orderId, async (order, trx) => {
    assertParty(order, contractor.id, 'contractor')
    assertOrderStatus(order, ['authorized'], 'accept the order')
    return moveOrder(trx, order, 'accepted', {
      actor: `user:${contractor.id}`,
      type: 'order.accepted',
    })
  })
}
