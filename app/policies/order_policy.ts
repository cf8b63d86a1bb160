import { BasePolicy } from '@adonisjs/bouncer'
import type User from '#models/user'
import type Order from '#models/order'

/**
 * Who may see an order: its employer and its contractor, nobody else (the
 * controller answers 404, so others cannot even learn it exists). What each
 * party may do is checked again by the actions, under the row lock.
 */
export default class OrderPolicy extends BasePolicy {
  view(user: User, order: Order) {
    return order.employerId === user.id || order.contractorId === user.id
  }
}
