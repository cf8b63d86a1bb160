import { type Context } from '../core/context.js'
import { snapshot } from '../core/diff.js'
import { invalidRequest, paramError, resourceMissing } from '../core/errors.js'
import { newId, randomString } from '../core/ids.js'
import { LIST_PARAMS, paginate } from '../core/lists.js'
import { applyMetadata, arr, bool, dict, hash, meta, str, type Spec } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Obj, type Params } from '../core/types.js'
import { type Engine } from '../engine.js'
import { findConnected } from './accounts.js'
import { findCustomer } from './customers.js'
import { assertReturnUrl, normalizeTypes } from './payment_intents.js'
import {
  attachPaymentMethod,
  cardError,
  cardOf,
  lastError,
  resolvePaymentMethod,
  REUSE_MESSAGE,
} from './payment_methods.js'

/*
 * SetupIntents: save a card for later without charging it. Declined cards
 * fail here too; cards that need 3DS on setup go to requires_action.
 */

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action']

const confirmParams: Record<string, Spec> = {
  allowed_payment_method_types: arr(str()),
  mandate_data: dict(),
  payment_method: str(),
  payment_method_options: dict(),
  return_url: str(),
  use_stripe_sdk: bool(),
}

const createParams: Record<string, Spec> = {
  ...confirmParams,
  attach_to_self: bool(),
  automatic_payment_methods: hash({ enabled: bool(), allow_redirects: str(['always', 'never']) }),
  confirm: bool(),
  customer: str(),
  description: str(),
  excluded_payment_method_types: arr(str()),
  flow_directions: arr(str(['inbound', 'outbound'])),
  metadata: meta(),
  on_behalf_of: str(),
  payment_method_configuration: str(),
  payment_method_types: arr(str()),
  single_use: dict(),
  usage: str(['off_session', 'on_session']),
}

export function registerSetupIntents(engine: Engine): void {
  const router = engine.router
  engine.setIndexer('setup_intent', (rec) => {
    const keys: string[] = []
    if (rec.obj.customer) {
      keys.push(`customer=${rec.obj.customer}`)
    }
    if (rec.obj.payment_method) {
      keys.push(`payment_method=${rec.obj.payment_method}`)
    }
    return keys
  })

  const find = (ctx: Context, id: string) => engine.find(ctx, 'setup_intent', id, 'setup_intent')

  function succeed(si: Rec, pm: Rec): void {
    const s = si.obj
    s.status = 'succeeded'
    s.next_action = null
    s.last_setup_error = null
    s.payment_method = pm.id
    pm.x.setUp = true
    const customer = s.customer ? engine.store.get(s.customer) : undefined
    if (customer) {
      attachPaymentMethod(engine.current!, pm, customer)
    }
    engine.store.reindex(si)
    engine.emitFor(si, 'setup_intent.succeeded')
  }

  /** A PaymentMethod must be free, or attached to the SetupIntent's customer. */
  function assertUsable(customer: string | null, pm: Rec): void {
    if (pm.obj.customer && pm.obj.customer !== customer) {
      throw invalidRequest(
        `The provided PaymentMethod (${pm.id}) is attached to a different Customer.`,
        { param: 'payment_method' }
      )
    }
    if (pm.x.consumed) {
      throw invalidRequest(REUSE_MESSAGE, { param: 'payment_method' })
    }
  }

  function attempt(si: Rec, pm: Rec, returnUrl: string | null): void {
    const s = si.obj
    s.payment_method = pm.id
    engine.store.reindex(si)
    const card = cardOf(pm)
    if (card.decline) {
      s.status = 'requires_payment_method'
      s.payment_method = null
      s.last_setup_error = lastError(card.decline, pm, null)
      engine.store.reindex(si)
      engine.emitFor(si, 'setup_intent.setup_failed')
      throw cardError(card.decline, {
        setup_intent: snapshot(si.obj),
        payment_method: snapshot(pm.obj),
      })
    }
    if (card.auth === 'always' || card.auth === 'on_setup') {
      s.status = 'requires_action'
      const source = newId('src')
      s.next_action = returnUrl
        ? {
            redirect_to_url: {
              return_url: returnUrl,
              url: `https://hooks.stripe.com/redirect/authenticate/${source}`,
            },
            type: 'redirect_to_url',
          }
        : {
            type: 'use_stripe_sdk',
            use_stripe_sdk: {
              source,
              stripe_js: `https://hooks.stripe.com/redirect/authenticate/${source}`,
              type: 'three_d_secure_redirect',
            },
          }
      engine.emitFor(si, 'setup_intent.requires_action')
      return
    }
    succeed(si, pm)
  }

  function confirm(ctx: Context, si: Rec, params: Params): void {
    normalizeTypes(params)
    const s = si.obj
    if (!CONFIRMABLE.includes(s.status)) {
      throw invalidRequest(
        `You cannot confirm this SetupIntent because it has a status of ${s.status}.`,
        { code: 'setup_intent_unexpected_state', extra: { setup_intent: snapshot(s) } }
      )
    }
    const returnUrl = params.return_url ?? si.x.returnUrl ?? null
    const types: string[] | undefined = params.payment_method_types
    assertReturnUrl(types ? null : s.automatic_payment_methods, returnUrl)
    const pmId = params.payment_method ?? s.payment_method
    if (!pmId) {
      throw invalidRequest(
        "You cannot confirm this SetupIntent because it's missing a payment method.",
        { code: 'setup_intent_unexpected_state', extra: { setup_intent: snapshot(s) } }
      )
    }
    const pm = resolvePaymentMethod(ctx, pmId, 'payment_method')
    assertUsable(s.customer, pm)
    if (types) {
      s.allowed_payment_method_types = types
      s.payment_method_types = types
      s.automatic_payment_methods = null
    }
    si.x.returnUrl = returnUrl
    engine.markDirty()
    attempt(si, pm, returnUrl)
  }

  router.add('POST', '/v1/setup_intents', hash(createParams), (ctx) => {
    const params = ctx.params
    normalizeTypes(params)
    if (params.payment_method_types && params.automatic_payment_methods) {
      throw paramError(
        'You may only specify one of these parameters: automatic_payment_methods, ' +
          'payment_method_types.',
        { code: 'parameters_exclusive', param: 'automatic_payment_methods' }
      )
    }
    const automatic = params.payment_method_types
      ? null
      : {
          allow_redirects: params.automatic_payment_methods?.allow_redirects ?? 'always',
          enabled: params.automatic_payment_methods?.enabled ?? true,
        }
    if (params.confirm) {
      assertReturnUrl(automatic, params.return_url)
    }
    const customer = params.customer
      ? findCustomer(engine, ctx.account, params.customer, 'customer')
      : null
    if (params.on_behalf_of) {
      findConnected(ctx, params.on_behalf_of, 'on_behalf_of')
    }
    const pm = params.payment_method
      ? resolvePaymentMethod(ctx, params.payment_method, 'payment_method')
      : null
    if (params.confirm && !pm) {
      throw paramError(
        "You cannot confirm this SetupIntent because it's missing a payment method.",
        { code: 'setup_intent_unexpected_state', param: 'payment_method' }
      )
    }
    if (pm && params.confirm) {
      assertUsable(customer?.id ?? null, pm)
    }
    const id = newId('seti')
    const obj: Obj = {
      id,
      object: 'setup_intent',
      allowed_payment_method_types: params.payment_method_types ?? null,
      application: null,
      automatic_payment_methods: automatic,
      cancellation_reason: null,
      client_secret: `${id}_secret_${randomString(32)}`,
      created: engine.now(),
      customer: customer?.id ?? null,
      description: params.description ?? null,
      excluded_payment_method_types: params.excluded_payment_method_types ?? null,
      flow_directions: params.flow_directions ?? null,
      last_setup_error: null,
      latest_attempt: null,
      livemode: false,
      mandate: null,
      metadata: applyMetadata({}, params.metadata),
      next_action: null,
      on_behalf_of: params.on_behalf_of ?? null,
      payment_method: pm?.id ?? null,
      payment_method_configuration_details: null,
      payment_method_options: {
        card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' },
      },
      payment_method_types: params.payment_method_types ?? ['card'],
      single_use_mandate: null,
      status: pm ? 'requires_confirmation' : 'requires_payment_method',
      usage: params.usage ?? 'off_session',
    }
    const si = engine.create('setup_intent', ctx.account, ctx.platform, obj, {
      returnUrl: params.return_url ?? null,
    })
    engine.emitFor(si, 'setup_intent.created')
    if (params.confirm && pm) {
      attempt(si, pm, params.return_url ?? null)
    }
    return si.obj
  })

  router.add(
    'GET',
    '/v1/setup_intents/:id',
    hash({ client_secret: str() }),
    (ctx) => find(ctx, ctx.path.id).obj
  )

  router.add(
    'POST',
    '/v1/setup_intents/:id',
    hash({ customer: str(), description: str(), metadata: meta(), payment_method: str() }),
    (ctx) => {
      const si = find(ctx, ctx.path.id)
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
          throw invalidRequest(
            `You cannot update this SetupIntent's payment method because it has a status of ${s.status}.`,
            { code: 'setup_intent_unexpected_state', extra: { setup_intent: snapshot(s) } }
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

  router.add('POST', '/v1/setup_intents/:id/confirm', hash(confirmParams), (ctx) => {
    const si = find(ctx, ctx.path.id)
    confirm(ctx, si, ctx.params)
    return si.obj
  })

  router.add(
    'POST',
    '/v1/setup_intents/:id/cancel',
    hash({ cancellation_reason: str(['abandoned', 'duplicate', 'requested_by_customer']) }),
    (ctx) => {
      const si = find(ctx, ctx.path.id)
      const s = si.obj
      if (!CONFIRMABLE.includes(s.status)) {
        throw invalidRequest(
          `You cannot cancel this SetupIntent because it has a status of ${s.status}.`,
          { code: 'setup_intent_unexpected_state', extra: { setup_intent: snapshot(s) } }
        )
      }
      s.status = 'canceled'
      s.cancellation_reason = ctx.params.cancellation_reason ?? null
      s.next_action = null
      engine.emitFor(si, 'setup_intent.canceled')
      return s
    }
  )

  router.add(
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

  // Test helper: complete or fail the 3DS challenge of a requires_action SetupIntent.
  router.add(
    'POST',
    '/v1/test_helpers/sandbox/setup_intents/:id/authenticate',
    hash({ outcome: str(['succeed', 'fail']) }),
    (ctx) => {
      const si = find(ctx, ctx.path.id)
      const s = si.obj
      if (s.status !== 'requires_action') {
        throw invalidRequest(
          `This SetupIntent has a status of ${s.status}; only a SetupIntent that requires ` +
            'action can be authenticated.',
          { code: 'setup_intent_unexpected_state', extra: { setup_intent: snapshot(s) } }
        )
      }
      const pm = engine.store.get(s.payment_method)
      if (!pm) {
        throw resourceMissing('PaymentMethod', String(s.payment_method), 'payment_method')
      }
      if (ctx.params.outcome === 'fail') {
        s.status = 'requires_payment_method'
        s.next_action = null
        s.payment_method = null
        s.last_setup_error = {
          code: 'setup_intent_authentication_failure',
          doc_url: 'https://stripe.com/docs/error-codes/setup-intent-authentication-failure',
          message:
            'The latest attempt to set up the payment method has failed because authentication ' +
            'failed.',
          payment_method: snapshot(pm.obj),
          type: 'invalid_request_error',
        }
        engine.store.reindex(si)
        engine.emitFor(si, 'setup_intent.setup_failed')
        return s
      }
      succeed(si, pm)
      return s
    }
  )
}
