import { type Context } from '../core/context.js'
import { LIST_PARAMS, paginate } from '../core/lists.js'
import { hash, str } from '../core/params.js'
import { type Engine } from '../engine.js'
import { renderBalance } from '../ledger.js'
import { defaultCurrencyOf } from './accounts.js'

/** GET /v1/balance and balance transactions, for the platform or (Stripe-Account) a connected account. */
export function registerBalance(engine: Engine): void {
  const router = engine.router

  router.add('GET', '/v1/balance', hash({}), (ctx) =>
    renderBalance(engine, ctx.account, defaultCurrencyOf(engine, ctx.account))
  )

  const list = (ctx: Context, url: string) => {
    const { type, source, currency, payout } = ctx.params
    // Pick the narrowest index, filter the rest.
    let key = `balance_transaction|${ctx.account}`
    if (source) {
      key += `|source=${source}`
    } else if (type) {
      key += `|type=${type}`
    } else if (currency) {
      key += `|currency=${currency}`
    }
    return paginate(engine.store.list(key), ctx.params, {
      store: engine.store,
      url,
      label: 'balance transaction',
      render: (rec) => rec.obj,
      filter: (rec) =>
        (!type || rec.obj.type === type) &&
        (!currency || rec.obj.currency === currency) &&
        (!payout || rec.obj.source === payout),
    })
  }
  const listSpec = hash({
    ...LIST_PARAMS,
    type: str(),
    source: str(),
    currency: str(),
    payout: str(),
  })
  router.add('GET', '/v1/balance_transactions', listSpec, (ctx) =>
    list(ctx, '/v1/balance_transactions')
  )
  // The older path lists the same objects; Stripe's list says /v1/balance_transactions.
  router.add('GET', '/v1/balance/history', listSpec, (ctx) => list(ctx, '/v1/balance_transactions'))

  const retrieve = (ctx: Context) =>
    engine.find(ctx, 'balance_transaction', ctx.path.id, 'balance transaction').obj
  router.add('GET', '/v1/balance_transactions/:id', hash({}), retrieve)
  router.add('GET', '/v1/balance/history/:id', hash({}), retrieve)
}
