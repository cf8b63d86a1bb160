import type Stripe from 'stripe'
import { stripe } from '#stripe/client'
import { reportStripeError } from '#stripe/errors'

/*
| A contractor's balance at a glance (their home page): Stripe's balance of
| their account, kept for a minute per account so that reloading the home
| page does not call Stripe each time. The balance page always reads Stripe
| and refreshes this copy (rememberBalance), so what a contractor saw there
| is what home shows next.
*/

export const GLANCE_SECONDS = 60

export interface GlanceBalance {
  currency: string
  available: number
  pending: number
}

export type BalanceGlance =
  { state: 'ok'; balances: GlanceBalance[]; readAt: Date } | { state: 'unavailable' }

const cache = new Map<string, { balances: GlanceBalance[]; readAt: Date }>()

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
export function rememberBalance(accountId: string, balances: GlanceBalance[]) {
  const now = Date.now()
  for (const [key, value] of cache) {
    if (now - value.readAt.getTime() > GLANCE_SECONDS * 1000) {
      cache.delete(key)
    }
  }
  cache.set(accountId, { balances, readAt: new Date(now) })
}

/** Drops every kept balance (tests) */
export function forgetBalances() {
  cache.clear()
}

/** The account's balance, from the copy of the last minute or from Stripe */
export async function balanceAtAGlance(accountId: string, userId: number): Promise<BalanceGlance> {
  const kept = cache.get(accountId)
  if (kept && Date.now() - kept.readAt.getTime() <= GLANCE_SECONDS * 1000) {
    return { state: 'ok', ...kept }
  }
  try {
    const balance = await stripe().balance.retrieve({}, { stripeAccount: accountId })
    const balances = balancesOf(balance)
    rememberBalance(accountId, balances)
    return { state: 'ok', balances, readAt: cache.get(accountId)!.readAt }
  } catch (error) {
    reportStripeError(error, { userId, operation: 'balance_glance' })
    return { state: 'unavailable' }
  }
}
