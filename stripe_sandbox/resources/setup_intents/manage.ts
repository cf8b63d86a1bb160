import { LIST_PARAMS, paginate } from '../../core/lists.js'
import { applyMetadata, bool, hash, meta, str } from '../../core/params.js'
import { type Engine } from '../../engine.js'
import { findCustomer } from '../customers.js'
import { setMandateStatus } from '../mandates.js'
import { resolvePaymentMethod } from '../payment_methods.js'
import { findSetupIntent } from './confirm.js'
import { CONFIRMABLE, stateError } from './prepare.js'

/* Retrieving, updating, canceling and listing SetupIntents. */

export function registerManage(engine: Engine): void {
  engine.router.add(
    'GET',
    '/v1/setup_intents/:id',
    hash({ client_secret: str() }),
    (ctx) => findSetupIntent(ctx, ctx.path.id).obj
  )

  engine.router.add(
    'POST',
    '/v1/setup_intents/:id',
    hash({ customer: str(), description: str(), metadata: meta(), payment_method: str() }),
    (ctx) => {
      const si = findSetupIntent(ctx, ctx.path.id)
      const s = si.obj
      const params = ctx.params
      if (params.customer) {
        findCustomer(engine, ctx.account, params.customer, 'customer')
        s.customer = params.customer
      }
      if ('description' in params) {
        s.description = params.description
      }
      if (params.payment_method) {
        if (!CONFIRMABLE.includes(s.status)) {
          throw stateError(
            si,
            `You cannot update this SetupIntent's payment method because it has a status of ${s.status}.`
          )
        }
        s.payment_method = resolvePaymentMethod(ctx, params.payment_method, 'payment_method').id
        s.status = 'requires_confirmation'
      }
      s.metadata = applyMetadata(s.metadata, params.metadata)
      engine.store.reindex(si)
      engine.markDirty()
      return s
    }
  )

  engine.router.add(
    'POST',
    '/v1/setup_intents/:id/cancel',
    hash({ cancellation_reason: str(['abandoned', 'duplicate', 'requested_by_customer']) }),
    (ctx) => {
      const si = findSetupIntent(ctx, ctx.path.id)
      const s = si.obj
      if (!CONFIRMABLE.includes(s.status)) {
        throw stateError(
          si,
          `You cannot cancel this SetupIntent because it has a status of ${s.status}.`
        )
      }
      if (s.status === 'requires_action') {
        setMandateStatus(engine, s.mandate, 'inactive')
        si.x.microdeposits = null
      }
      s.status = 'canceled'
      s.cancellation_reason = ctx.params.cancellation_reason ?? null
      s.next_action = null
      engine.emitFor(si, 'setup_intent.canceled')
      return s
    }
  )

  engine.router.add(
    'GET',
    '/v1/setup_intents',
    hash({ ...LIST_PARAMS, customer: str(), payment_method: str(), attach_to_self: bool() }),
    (ctx) => {
      const { customer, payment_method: pm } = ctx.params
      let key = `setup_intent|${ctx.account}`
      if (customer) {
        key += `|customer=${customer}`
      } else if (pm) {
        key += `|payment_method=${pm}`
      }
      return paginate(engine.store.list(key), ctx.params, {
        store: engine.store,
        url: '/v1/setup_intents',
        label: 'setup_intent',
        render: (rec) => rec.obj,
        filter: customer && pm ? (rec) => rec.obj.payment_method === pm : undefined,
      })
    }
  )
}
