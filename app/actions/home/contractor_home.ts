import type User from '#models/user'
import Order from '#models/order'
import OrderLine from '#models/order_line'
import UserProfile from '#models/user_profile'
import { onboardingState, type OnboardingState } from '#actions/onboarding/onboarding_status'
import { balanceAtAGlance, type BalanceGlance } from '#actions/balance/balance_glance'
import { orderRows, rowsOf, type OrderRow } from '#actions/orders/order_rows'

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

async function ordersWithLines(contractor: User, status: 'requested' | 'accepted') {
  const orders = await Order.query()
    .whereIn(
      'id',
      OrderLine.query()
        .where('contractorId', contractor.id)
        .where('status', status)
        .select('orderId')
    )
    .preload('employer')
    .orderBy('id', 'desc')
  return rowsOf(contractor, orders)
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
    orderRows(contractor, { perPage: RECENT_ORDERS }),
    profile.stripeId ? balanceAtAGlance(profile.stripeId, contractor.id) : null,
  ])
  return {
    // A request whose payment is not confirmed yet is not theirs to accept
    toAccept: requested.filter((row) => row.status.tone === 'your_turn'),
    toDeliver: accepted.filter((row) => row.status.tone === 'your_turn'),
    awaitingApproval: Number(delivered?.$extras.total ?? 0),
    onboarding: onboardingState(profile),
    balance,
    recent: recentPage.rows,
    hasMoreOrders: recentPage.hasNext,
  }
}
