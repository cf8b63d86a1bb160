import { newId } from './core/ids.js'
import { type Rec } from './core/store.js'
import { type Obj } from './core/types.js'
import { type Balance, type Engine } from './engine.js'

/*
 * Balance transactions and running balances, per account and currency.
 * Every money movement goes through addTxn(), which keeps the per-account
 * totals in step, so GET /v1/balance never sums transactions.
 */

export interface FeeDetail {
  amount: number
  application: string | null
  currency: string
  description: string
  type: 'stripe_fee' | 'application_fee'
}

export interface TxnInput {
  amount: number
  currency: string
  type: string
  reportingCategory: string
  source: string | null
  description?: string | null
  fee?: number
  feeDetails?: FeeDetail[]
  /** defaults to now (available at once) */
  availableOn?: number
  /**
   * Stays pending, whatever available_on says, until releaseTxn(): an ACH
   * debit's money only becomes available once the debit has succeeded.
   */
  held?: boolean
}

/** US card funds become available after two days (sandbox time). */
export const CARD_AVAILABILITY_SECONDS = 2 * 24 * 60 * 60

function bucket(engine: Engine, acct: string, currency: string): Balance {
  let perCurrency = engine.balances.get(acct)
  if (!perCurrency) {
    perCurrency = new Map()
    engine.balances.set(acct, perCurrency)
  }
  let balance = perCurrency.get(currency)
  if (!balance) {
    balance = { available: 0, pending: 0 }
    perCurrency.set(currency, balance)
  }
  return balance
}

export function balanceOf(engine: Engine, acct: string, currency: string): Balance {
  return engine.balances.get(acct)?.get(currency) ?? { available: 0, pending: 0 }
}

export function addTxn(engine: Engine, acct: string, plat: string, input: TxnInput): Rec {
  const now = engine.now()
  const availableOn = input.availableOn ?? now
  const status = availableOn <= now && !input.held ? 'available' : 'pending'
  const fee = input.fee ?? 0
  const net = input.amount - fee
  const txn: Obj = {
    id: newId('txn'),
    object: 'balance_transaction',
    amount: input.amount,
    available_on: availableOn,
    balance_type: 'payments',
    created: now,
    currency: input.currency,
    description: input.description ?? null,
    exchange_rate: null,
    fee,
    fee_details: input.feeDetails ?? [],
    net,
    reporting_category: input.reportingCategory,
    source: input.source,
    status,
    type: input.type,
  }
  const rec = engine.create('balance_transaction', acct, plat, txn)
  const balance = bucket(engine, acct, input.currency)
  if (status === 'available') {
    balance.available += net
  } else {
    balance.pending += net
    if (!input.held) {
      engine.schedule(availableOn, 'balance_transaction.available', { id: txn.id })
    }
  }
  return rec
}

/** Lets a held transaction become available at its available_on (at once if that has passed). */
export function releaseTxn(engine: Engine, txnId: string): void {
  const rec = engine.store.get(txnId)
  if (rec && rec.obj.status === 'pending') {
    engine.schedule(Math.max(rec.obj.available_on, engine.now()), 'balance_transaction.available', {
      id: txnId,
    })
  }
}

/** The `available_on` / status to copy from a source charge's transaction. */
export function availabilityOf(engine: Engine, txnId: string | null): number {
  const txn = txnId ? engine.store.get(txnId) : undefined
  return txn ? txn.obj.available_on : engine.now()
}

export function renderBalance(engine: Engine, acct: string, defaultCurrency: string): Obj {
  const perCurrency = engine.balances.get(acct)
  const entries = perCurrency && perCurrency.size > 0 ? [...perCurrency] : []
  if (entries.length === 0) {
    entries.push([defaultCurrency, { available: 0, pending: 0 }])
  }
  return {
    object: 'balance',
    available: entries.map(([currency, b]) => ({
      amount: b.available,
      currency,
      source_types: { card: b.available },
    })),
    connect_reserved: entries.map(([currency]) => ({ amount: 0, currency })),
    livemode: false,
    pending: entries.map(([currency, b]) => ({
      amount: b.pending,
      currency,
      source_types: { card: b.pending },
    })),
  }
}

export function registerLedger(engine: Engine, defaultCurrencyOf: (acct: string) => string) {
  engine.setIndexer('balance_transaction', (rec) => [
    `type=${rec.obj.type}`,
    `source=${rec.obj.source}`,
    `currency=${rec.obj.currency}`,
  ])

  // One balance.available per account per moment, emitted after every
  // transaction of that moment has moved (a job scheduled "now" runs last),
  // and only if the moment added money (a failed ACH debit and its
  // payment_failure_refund cancel out).
  const arriving = new Map<string, number>()
  engine.onJob('balance_transaction.available', (job) => {
    const rec = engine.store.get(String(job.data.id))
    if (!rec || rec.obj.status !== 'pending') {
      return
    }
    rec.obj.status = 'available'
    const balance = bucket(engine, rec.acct, rec.obj.currency)
    balance.pending -= rec.obj.net
    balance.available += rec.obj.net
    const key = `${rec.acct}@${engine.now()}`
    if (!arriving.has(key)) {
      engine.schedule(engine.now(), 'balance.notify', { acct: rec.acct, plat: rec.plat, key })
    }
    arriving.set(key, (arriving.get(key) ?? 0) + rec.obj.net)
  })
  engine.onJob('balance.notify', (job) => {
    const acct = String(job.data.acct)
    const key = String(job.data.key)
    const added = arriving.get(key) ?? 1
    arriving.delete(key)
    if (added <= 0) {
      return
    }
    const object = renderBalance(engine, acct, defaultCurrencyOf(acct))
    engine.emit('balance.available', acct, String(job.data.plat), object)
  })

  // Balances are derived data: rebuild them from transactions after a restart.
  engine.onLoad(() => {
    engine.balances.clear()
    for (const rec of engine.store.recs.values()) {
      if (rec.type !== 'balance_transaction') {
        continue
      }
      const balance = bucket(engine, rec.acct, rec.obj.currency)
      if (rec.obj.status === 'available') {
        balance.available += rec.obj.net
      } else {
        balance.pending += rec.obj.net
      }
    }
  })
}
