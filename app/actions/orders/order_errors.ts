import type Order from '#models/order'
import type { OrderStatus } from '#models/order'
import { ActionError } from '#exceptions/action_error'

const STATE_WORDS: Record<OrderStatus, string> = {
  pending: 'is still being authorized',
  authorized: 'is waiting for the contractor to accept it',
  accepted: 'is accepted and in progress',
  delivered: 'is delivered and waiting for approval',
  captured: 'was already approved and paid',
  canceled: 'was canceled',
  expired: 'expired',
  failed: 'failed (the card was not authorized)',
  partially_refunded: 'was paid and partially refunded',
  refunded: 'was paid and refunded',
}

/** 409: the order is not in a state that allows this (again) */
export function assertOrderStatus(order: Order, allowed: OrderStatus[], action: string) {
  if (!allowed.includes(order.status)) {
    throw new ActionError(`Cannot ${action}: order #${order.id} ${STATE_WORDS[order.status]}.`, 409)
  }
}

/** 403: only the employer or the contractor of the order may do this */
export function assertParty(order: Order, userId: number, party: 'employer' | 'contractor') {
  const partyId = party === 'employer' ? order.employerId : order.contractorId
  if (partyId !== userId) {
    throw new ActionError(`Only the ${party} of order #${order.id} can do this.`, 403)
  }
}
