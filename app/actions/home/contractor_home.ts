import type User from '#models/user'
import Order from '#models/order'
import OrderLine from '#models/order_line'
import UserProfile from '#models/user_profile'
import { onboardingState, type OnboardingState } from '#actions/onboarding/onboarding_status'
import { balanceAtAGlance, type BalanceGlance } from '#actions/balance/balance_glance'
import { ordersPage, rowsOfLists, type OrderRow } from '#actions/orders/order_rows'

/*
| The contractor's home: new orders to accept, work to deliver, where their
| onboarding stands (from the snapshot Stripe's webhooks keep: no call to
| Stripe) and their balance at a glance (kept a minute: balance_glance.ts).
*/

export const RECENT_ORDERS = 5

export interface ContractorHome {
  toAccept: OrderRow[]
  toDeliver: OrderRow[]
  /** Delivered, waiting for the employer's approval */
  awaitingApproval: number
  onboarding: OnboardingState
  balance: BalanceGlance | null
  recent: OrderRow[]
  hasMoreOrders: boolean
}

function ordersWithLines(contractor: User, status: 'requested' | 'accepted') {
  return Order.query()
    .whereIn(
      'id',
      OrderLine.query()
        .where('contractorId', contractor.id)
        .where('status', status)
        .select('orderId')
    )
    .preload('employer')
    .orderBy('id', 'desc')
}

export async function contractorHome(contractor: User): Promise<ContractorHome> {
  const profile = await UserProfile.findByOrFail('userId', contractor.id)
  const [requested, accepted, delivered, recentPage, balance] = await Promise.all([
    ordersWithLines(contractor, 'requested'),
    ordersWithLines(contractor, 'accepted'),
    OrderLine.query()
      .where('contractorId', contractor.id)
      .where('status', 'delivered')
      .count('* as total')
      .first(),
    ordersPage(contractor, { perPage: RECENT_ORDERS }),
    profile.stripeId ? balanceAtAGlance(profile.stripeId, contractor.id) : null,
  ])
  const [toAccept, toDeliver, recent] = await rowsOfLists(contractor, [
    requested,
    accepted,
    recentPage.rows,
  ])
  return {
    // A request whose payment is not confirmed yet is not theirs to accept
    toAccept: toAccept.filter((row) => row.status.tone === 'your_turn'),
    toDeliver: toDeliver.filter((row) => row.status.tone === 'your_turn'),
    awaitingApproval: Number(delivered?.$extras.total ?? 0),
    onboarding: onboardingState(profile),
    balance,
    recent,
    hasMoreOrders: recentPage.olderCursor !== null,
  }
}
