import { LIST_PARAMS, paginate } from '../../core/lists.js'
import { hash, str } from '../../core/params.js'
import { type Engine } from '../../engine.js'
import { findIntent, renderIntent } from './shared.js'

/* Retrieving and listing PaymentIntents. */

export function registerRead(engine: Engine): void {
  engine.router.add('GET', '/v1/payment_intents/:id', hash({ client_secret: str() }), (ctx) =>
    renderIntent(engine, findIntent(ctx, ctx.path.id))
  )

  engine.router.add(
    'GET',
    '/v1/payment_intents',
    hash({ ...LIST_PARAMS, customer: str() }),
    (ctx) => {
      const customer = ctx.params.customer
      const key = customer
        ? `payment_intent|${ctx.account}|customer=${customer}`
        : `payment_intent|${ctx.account}`
      return paginate(engine.store.list(key), ctx.params, {
        store: engine.store,
        url: '/v1/payment_intents',
        label: 'payment_intent',
        render: (rec) => renderIntent(engine, rec),
      })
    }
  )
}
