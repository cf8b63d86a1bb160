import { type Context } from '../core/context.js'
import { previousAttributes, snapshot } from '../core/diff.js'
import { balanceInsufficient, invalidRequest, resourceMissing } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { LIST_PARAMS, matchesCreated, paginate } from '../core/lists.js'
import { applyMetadata, hash, int, meta, str } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Engine } from '../engine.js'
import { addTxn, balanceOf } from '../ledger.js'
import { assertCurrency } from '../money.js'
import { defaultBank } from './external_accounts.js'

/*
 * Manual payouts from the available balance to an external bank account.
 * They go pending → paid (or failed, for Stripe's failing test account
 * numbers) at `arrival_date` on the sandbox clock. No automatic payouts are
 * made, whatever the account's payout schedule says.
 */

export const STANDARD_ARRIVAL_SECONDS = 2 * 24 * 60 * 60
export const INSTANT_ARRIVAL_SECONDS = 30 * 60

const FAILURE_MESSAGES: Record<string, string> = {
  no_account:
    'The bank account details on file are probably incorrect. No bank account could be located with those details.',
  account_closed: 'The bank account has been closed.',
  insufficient_funds: 'Your Stripe account has insufficient funds to cover the payout.',
  debit_not_authorized: 'Debit transactions are not approved on the bank account.',
  invalid_currency: 'The bank was unable to process this payout because of its currency.',
}

function createPayout(ctx: Context): Rec {
  const engine = ctx.engine
  const params = ctx.params
  const currency = assertCurrency(params.currency)
  const account = engine.store.get(ctx.account)!
  let bank: Rec | undefined
  if (!account.x.platform) {
    if (!account.obj.payouts_enabled) {
      throw invalidRequest(
        `Payouts are not enabled for account ${account.id}: it still has requirements to ` +
          'fulfil (see requirements.currently_due) or no external account.',
        { code: 'payouts_not_allowed' }
      )
    }
    if (params.destination) {
      bank = engine.store.get(params.destination)
      if (!bank || bank.type !== 'bank_account' || bank.acct !== account.id || bank.deleted) {
        throw resourceMissing('external account', params.destination, 'destination')
      }
    } else {
      bank = defaultBank(engine, account.id, currency)
      if (!bank) {
        throw invalidRequest(
          `You do not have a default external account for currency ${currency}.`,
          { param: 'currency' }
        )
      }
    }
  }
  const { available } = balanceOf(engine, account.id, currency)
  if (available < params.amount) {
    throw balanceInsufficient(
      `You have insufficient funds in your Stripe account for this payout: the available ` +
        `balance is ${available} ${currency}, the payout is ${params.amount} ${currency}.`
    )
  }
  const id = newId('po')
  const now = engine.now()
  const method = params.method ?? 'standard'
  const txn = addTxn(engine, account.id, ctx.platform, {
    amount: -params.amount,
    currency,
    type: 'payout',
    reportingCategory: 'payout',
    source: id,
    description: params.description ?? 'STRIPE PAYOUT',
  })
  const arrival = now + (method === 'instant' ? INSTANT_ARRIVAL_SECONDS : STANDARD_ARRIVAL_SECONDS)
  const payout = engine.create('payout', account.id, ctx.platform, {
    id,
    object: 'payout',
    amount: params.amount,
    application_fee: null,
    application_fee_amount: null,
    arrival_date: arrival,
    automatic: false,
    balance_transaction: txn.id,
    created: now,
    currency,
    description: params.description ?? 'STRIPE PAYOUT',
    destination: bank?.id ?? null,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: applyMetadata({}, params.metadata),
    method,
    original_payout: null,
    payout_method: null,
    reconciliation_status: 'not_applicable',
    reversed_by: null,
    source_type: params.source_type ?? 'card',
    statement_descriptor: params.statement_descriptor ?? null,
    status: 'pending',
    trace_id: { status: 'pending', value: null },
    type: 'bank_account',
  })
  engine.emitFor(payout, 'payout.created')
  engine.schedule(arrival, 'payout.arrive', { id })
  return payout
}

export function registerPayouts(engine: Engine): void {
  const router = engine.router
  engine.setIndexer('payout', (rec) => [`status=${rec.obj.status}`])

  engine.onJob('payout.arrive', (job) => {
    const payout = engine.store.get(String(job.data.id))
    if (!payout || payout.obj.status !== 'pending') {
      return
    }
    const before = snapshot(payout.obj)
    const bank = payout.obj.destination ? engine.store.get(payout.obj.destination) : undefined
    const failure: string | null = bank?.x.payoutFailure ?? null
    if (failure) {
      const txn = addTxn(engine, payout.acct, payout.plat, {
        amount: payout.obj.amount,
        currency: payout.obj.currency,
        type: 'payout_failure',
        reportingCategory: 'payout_reversal',
        source: payout.id,
        description: 'Payout failure',
      })
      Object.assign(payout.obj, {
        status: 'failed',
        failure_code: failure,
        failure_message: FAILURE_MESSAGES[failure],
        failure_balance_transaction: txn.id,
      })
    } else {
      payout.obj.status = 'paid'
      payout.obj.trace_id = { status: 'supported', value: `SANDBOX${payout.id.slice(-10)}` }
    }
    engine.store.reindex(payout)
    engine.emitFor(payout, 'payout.updated', previousAttributes(before, payout.obj))
    engine.emitFor(payout, failure ? 'payout.failed' : 'payout.paid')
  })

  router.add(
    'POST',
    '/v1/payouts',
    hash(
      {
        amount: int(1),
        currency: str(),
        description: str(),
        destination: str(),
        metadata: meta(),
        method: str(['standard', 'instant']),
        source_type: str(['bank_account', 'card', 'fpx']),
        statement_descriptor: str(undefined, 22),
      },
      ['amount', 'currency']
    ),
    (ctx) => createPayout(ctx).obj
  )

  const find = (ctx: Context) => engine.find(ctx, 'payout', ctx.path.id, 'payout')

  router.add('GET', '/v1/payouts/:id', hash({}), (ctx) => find(ctx).obj)

  router.add('POST', '/v1/payouts/:id', hash({ metadata: meta() }), (ctx) => {
    const payout = find(ctx)
    payout.obj.metadata = applyMetadata(payout.obj.metadata, ctx.params.metadata)
    engine.markDirty()
    return payout.obj
  })

  router.add('POST', '/v1/payouts/:id/cancel', hash({}), (ctx) => {
    const payout = find(ctx)
    if (payout.obj.status !== 'pending') {
      throw invalidRequest(
        `Payouts can only be canceled while they are pending; this one is ${payout.obj.status}.`,
        { param: 'id' }
      )
    }
    const before = snapshot(payout.obj)
    addTxn(engine, payout.acct, payout.plat, {
      amount: payout.obj.amount,
      currency: payout.obj.currency,
      type: 'payout_cancel',
      reportingCategory: 'payout_reversal',
      source: payout.id,
      description: 'Payout cancellation',
    })
    payout.obj.status = 'canceled'
    engine.store.reindex(payout)
    engine.emitFor(payout, 'payout.updated', previousAttributes(before, payout.obj))
    engine.emitFor(payout, 'payout.canceled')
    return payout.obj
  })

  router.add(
    'GET',
    '/v1/payouts',
    hash({
      ...LIST_PARAMS,
      status: str(['pending', 'paid', 'failed', 'canceled', 'in_transit']),
      destination: str(),
      arrival_date: LIST_PARAMS.created,
    }),
    (ctx) => {
      const { status, destination } = ctx.params
      const key = status ? `payout|${ctx.account}|status=${status}` : `payout|${ctx.account}`
      return paginate(engine.store.list(key), ctx.params, {
        store: engine.store,
        url: '/v1/payouts',
        label: 'payout',
        render: (rec) => rec.obj,
        filter: (rec) =>
          (!destination || rec.obj.destination === destination) &&
          matchesCreated(rec.obj.arrival_date, ctx.params.arrival_date),
      })
    }
  )
}
