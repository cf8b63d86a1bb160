import type Stripe from 'stripe'
import { stripe } from '#stripe/client'
import { reportStripeError } from '#stripe/errors'
import { moneyMovedFor, onMoneyMoved } from '#services/balance_copies'

/*
| A contractor's balance at a glance (their home page): Stripe's balance of
| their account, kept for a minute per contractor so that reloading the home
| page does not call Stripe each time. The balance page refreshes this copy
| when it reads Stripe (rememberBalance), so what a contractor saw there is
| what home shows next; money the app moves for them forgets it
| (services/balance_copies.ts).
*/

export const GLANCE_SECONDS = 60

export interface GlanceBalance {
  currency: string
  available: number
  pending: number
}

export type BalanceGlance =
  { state: 'ok'; balances: GlanceBalance[]; readAt: Date } | { state: 'unavailable' }

const cache = new Map<number, { balances: GlanceBalance[]; readAt: Date }>()
onMoneyMoved((userId) => (userId === null ? cache.clear() : cache.delete(userId)))

/** Available and pending per currency, from Stripe's balance object */
export function balancesOf(balance: Stripe.Balance): GlanceBalance[] {
  const currencies = new Map<string, GlanceBalance>()
  const entry = (currency: string) => {
    let row = currencies.get(currency)
    if (!row) {
      row = { currency, available: 0, pending: 0 }
      currencies.set(currency, row)
    }
    return row
  }
  for (const funds of balance.available) {
    entry(funds.currency).available += funds.amount
  }
  for (const funds of balance.pending) {
    entry(funds.currency).pending += funds.amount
  }
  return [...currencies.values()].sort((a, b) => a.currency.localeCompare(b.currency))
}

/** Keeps what was just read from Stripe (the balance page calls this) */
export function rememberBalance(userId: number, balances: GlanceBalance[], readAt = new Date()) {
  const now = Date.now()
  for (const [key, value] of cache) {
    if (now - value.readAt.getTime() > GLANCE_SECONDS * 1000) {
      cache.delete(key)
    }
  }
  cache.set(userId, { balances, readAt })
}

/** Drops every kept balance, the balance pages' too (tests) */
export function forgetBalances() {
  moneyMovedFor(null)
}

/** The account's balance, from the copy of the last minute or from Stripe */
export async function balanceAtAGlance(accountId: string, userId: number): Promise<BalanceGlance> {
  const kept = cache.get(userId)
  if (kept && Date.now() - kept.readAt.getTime() <= GLANCE_SECONDS * 1000) {
    return { state: 'ok', ...kept }
  }
  try {
    const balance = await stripe().balance.retrieve({}, { stripeAccount: accountId })
    const balances = balancesOf(balance)
    const readAt = new Date()
    rememberBalance(userId, balances, readAt)
    return { state: 'ok', balances, readAt }
  } catch (error) {
    reportStripeError(error, { userId, operation: 'balance_glance' })
    return { state: 'unavailable' }
  }
}
