import Stripe from 'stripe'
import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { stripe } from '#stripe/client'
import { reportStripeError } from '#stripe/errors'
import {
  payoutScheduleInWords,
  payoutStatusInWords,
  transactionStatusInWords,
  transactionTypeInWords,
} from '#actions/balance/words'
import { balancesOf, rememberBalance } from '#actions/balance/balance_glance'
import { onMoneyMoved } from '#services/balance_copies'
import { transactionLinks, type TransactionLink } from '#actions/balance/transaction_links'

export const TRANSACTIONS_PER_PAGE = 20
const RECENT_PAYOUTS = 10

/** How far back to look for pending funds (they are the newest transactions) */
const PENDING_SCAN_LIMIT = 500

export interface BalanceCursor {
  starting_after?: string
  ending_before?: string
}

export interface CurrencyBalance {
  currency: string
  available: number
  pending: number
  /** When the earliest pending funds become available (unix seconds), if any are pending */
  nextAvailableOn: number | null
}

export interface TransactionRow {
  id: string
  created: number
  /** What it is, in our words ("Payment for an order") */
  type: string
  description: string | null
  /** The order or debit it belongs to, when we know it */
  link: TransactionLink | null
  amount: number
  fee: number
  net: number
  currency: string
  status: string
  availableOn: number
}

export interface PayoutRow {
  id: string
  amount: number
  currency: string
  status: string
  failureMessage: string | null
  arrivalDate: number
}

export type BalancePage =
  | { state: 'no_account' }
  | { state: 'unavailable'; message: string }
  | {
      state: 'ok'
      notice: string | null
      balances: CurrencyBalance[]
      transactions: TransactionRow[]
      newer: string | null
      older: string | null
      payouts: PayoutRow[]
      /** When available money goes to the bank ("every day", "manually"), from Stripe */
      payoutSchedule: string | null
      /** The payout on its way now, if any */
      nextPayout: PayoutRow | null
      /** When this was read from Stripe (the page may be a copy of the last seconds) */
      readAt: Date
    }

type ReadPage = Extract<BalancePage, { state: 'ok' }>

/*
| The page as read from Stripe (five calls) is kept BALANCE_PAGE_SECONDS per
| contractor and cursor, in this process, at most KEPT_PAGES of them (the
| oldest go first): a reload or a busy contractor does not call Stripe each
| time, and the page says when it was read. Money the app moves for the
| contractor forgets their copies (services/balance_copies.ts); money Stripe moves by
| itself (a payout, funds becoming available) shows within the window.
*/
export const BALANCE_PAGE_SECONDS = 30
const KEPT_PAGES = 500
const keptPages = new Map<string, ReadPage>()

onMoneyMoved((userId) => {
  if (userId === null) {
    keptPages.clear()
    return
  }
  for (const key of keptPages.keys()) {
    if (key.startsWith(`${userId}|`)) {
      keptPages.delete(key)
    }
  }
})

function keptPage(key: string) {
  const page = keptPages.get(key)
  if (page && Date.now() - page.readAt.getTime() <= BALANCE_PAGE_SECONDS * 1000) {
    return page
  }
  keptPages.delete(key)
  return null
}

function keepPage(key: string, page: ReadPage) {
  keptPages.delete(key)
  while (keptPages.size >= KEPT_PAGES) {
    keptPages.delete(keptPages.keys().next().value!)
  }
  keptPages.set(key, page)
}

function payoutRow(payout: Stripe.Payout): PayoutRow {
  return {
    id: payout.id,
    amount: payout.amount,
    currency: payout.currency,
    status: payoutStatusInWords(payout.status),
    failureMessage: payout.failure_message,
    arrivalDate: payout.arrival_date,
  }
}

function isCursorRefused(error: unknown) {
  return error instanceof Stripe.errors.StripeInvalidRequestError
}

/**
 * Earliest `available_on` of pending transactions, per currency. Stripe's
 * balance gives amounts only, so the newest transactions are read until the
 * first incoming one that is already available: incoming funds become
 * available in the order they came in (outgoing ones, such as refunds, are
 * available at once and may be newer than pending funds).
 */
async function nextAvailability(options: Stripe.RequestOptions) {
  const earliest = new Map<string, number>()
  let seen = 0
  for await (const transaction of stripe().balanceTransactions.list({ limit: 100 }, options)) {
    if (++seen > PENDING_SCAN_LIMIT || (transaction.status !== 'pending' && transaction.net > 0)) {
      break
    }
    if (transaction.status !== 'pending') {
      continue
    }
    const current = earliest.get(transaction.currency)
    if (current === undefined || transaction.available_on < current) {
      earliest.set(transaction.currency, transaction.available_on)
    }
  }
  return earliest
}

/**
 * The contractor's own Stripe balance, read as their connected account
 * (Stripe-Account): amounts per currency, one page of balance transactions
 * (Stripe's cursors, newest first) and the latest payouts. The account id
 * comes from the logged-in contractor's profile only, never from the request.
 */
export async function loadBalance(user: User, cursor: BalanceCursor): Promise<BalancePage> {
  const profile = await UserProfile.findByOrFail('userId', user.id)
  if (!profile.stripeId) {
    return { state: 'no_account' }
  }
  const key = [user.id, profile.stripeId, cursor.starting_after, cursor.ending_before].join('|')
  const kept = keptPage(key)
  if (kept) {
    return kept
  }
  const page = await readBalance(user, profile.stripeId, cursor)
  if (page.state === 'ok') {
    keepPage(key, page)
  }
  return page
}

async function readBalance(
  user: User,
  accountId: string,
  cursor: BalanceCursor
): Promise<BalancePage> {
  const options: Stripe.RequestOptions = { stripeAccount: accountId }

  try {
    let notice: string | null = null
    let transactions: Stripe.ApiList<Stripe.BalanceTransaction>
    const cursorId = cursor.starting_after ?? cursor.ending_before
    try {
      // Stripe refuses a cursor that is not in this account's list (resource_missing)
      transactions = await stripe().balanceTransactions.list(
        { limit: TRANSACTIONS_PER_PAGE, ...cursor, expand: ['data.source'] },
        options
      )
    } catch (error) {
      if (!isCursorRefused(error) || !cursorId) {
        throw error
      }
      // A cursor of another account, or one Stripe no longer knows: start over
      reportStripeError(error, { userId: user.id, operation: 'balance_page' })
      notice = 'That page link is not valid any more; here are your latest transactions.'
      cursor = {}
      transactions = await stripe().balanceTransactions.list(
        { limit: TRANSACTIONS_PER_PAGE, expand: ['data.source'] },
        options
      )
    }

    const [balance, payouts, earliest, account, links] = await Promise.all([
      stripe().balance.retrieve({}, options),
      stripe().payouts.list({ limit: RECENT_PAYOUTS }, options),
      nextAvailability(options),
      stripe()
        .accounts.retrieve(accountId)
        .catch(() => null),
      transactionLinks(user, accountId, transactions.data),
    ])
    // The home page's balance at a glance shows what this page just read
    const readAt = new Date()
    rememberBalance(user.id, balancesOf(balance), readAt)

    const currencies = new Map<string, CurrencyBalance>()
    const entry = (currency: string) => {
      let row = currencies.get(currency)
      if (!row) {
        row = { currency, available: 0, pending: 0, nextAvailableOn: null }
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
    for (const row of currencies.values()) {
      row.nextAvailableOn = row.pending > 0 ? (earliest.get(row.currency) ?? null) : null
    }

    const rows = transactions.data.map((transaction) => ({
      id: transaction.id,
      created: transaction.created,
      type: transactionTypeInWords(transaction.type),
      description: transaction.description,
      link: links.get(transaction.id) ?? null,
      amount: transaction.amount,
      fee: transaction.fee,
      net: transaction.net,
      currency: transaction.currency,
      status: transactionStatusInWords(transaction.status),
      availableOn: transaction.available_on,
    }))
    // Stripe lists newest first; has_more is about the direction of the cursor
    const goingBack = Boolean(cursor.ending_before)
    const first = rows.at(0)?.id ?? null
    const last = rows.at(-1)?.id ?? null
    const newer = goingBack
      ? transactions.has_more
        ? first
        : null
      : cursor.starting_after
        ? first
        : null
    const older = goingBack ? last : transactions.has_more ? last : null

    return {
      state: 'ok',
      notice,
      balances: [...currencies.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
      transactions: rows,
      newer,
      older,
      payouts: payouts.data.map(payoutRow),
      payoutSchedule: account ? payoutScheduleInWords(account.settings?.payouts?.schedule) : null,
      nextPayout: (() => {
        const coming = payouts.data.find((payout) =>
          ['pending', 'in_transit'].includes(payout.status)
        )
        return coming ? payoutRow(coming) : null
      })(),
      readAt,
    }
  } catch (error) {
    const described = reportStripeError(error, { userId: user.id, operation: 'load_balance' })
    return {
      state: 'unavailable',
      message: described.isTransient
        ? 'Stripe is unreachable right now, so your balance cannot be shown. Your money is safe; ' +
          'reload this page in a moment.'
        : `Your balance cannot be shown right now: ${described.message}`,
    }
  }
}
