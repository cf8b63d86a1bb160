import { type Context } from '../core/context.js'
import { snapshot } from '../core/diff.js'
import { invalidRequest, paramError, resourceMissing } from '../core/errors.js'
import { newId, randomString } from '../core/ids.js'
import { LIST_PARAMS, paginate } from '../core/lists.js'
import { applyMetadata, arr, bool, dict, hash, meta, str, type Spec } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Obj, type Params } from '../core/types.js'
import { type Engine } from '../engine.js'
import { type Outcome, redirectToUrl, registerAuthenticator } from '../three_d_secure.js'
import { findConnected } from './accounts.js'
import { findCustomer } from './customers.js'
import { createMandate, MANDATE_REQUIRED_MESSAGE, setMandateStatus } from './mandates.js'
import { registerVerifier } from './microdeposit_page.js'
import { startMicrodeposits, verifyMicrodeposits, verifySpec } from './microdeposits.js'
import { assertReturnUrl, assertValidReturnUrl, normalizeTypes } from './payment_intents/params.js'
import {
  attachPaymentMethod,
  cardError,
  cardOf,
  lastError,
  resolvePaymentMethod,
  REUSE_MESSAGE,
} from './payment_methods.js'
import {
  bankOf,
  isBankAccount,
  mandateDataSpec,
  paymentMethodDataSpec,
  preparePaymentMethodData,
} from './us_bank_accounts.js'

/*
 * SetupIntents: save a payment method for later without charging it.
 * Cards: declined cards fail here too; cards that need 3DS on setup go to
 * requires_action. Bank accounts (us_bank_account): a mandate is created,
 * and an account entered by hand is verified with microdeposits first.
 */

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action']

const confirmParams: Record<string, Spec> = {
  allowed_payment_method_types: arr(str()),
  mandate_data: mandateDataSpec,
  payment_method: str(),
  payment_method_data: paymentMethodDataSpec,
  payment_method_options: hash({
    card: dict(),
    us_bank_account: hash({
      financial_connections: dict(),
      mandate_options: dict(),
      verification_method: str(['automatic', 'instant', 'microdeposits']),
    }),
  }),
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

const AUTHENTICATION_FAILURE =
  'The latest attempt to set up the payment method has failed because authentication failed.'

interface SetupPlan {
  paymentMethod: () => Rec
  returnUrl: string | null
  /** mandate_data for a bank account */
  mandateData: Params | null
}

function stateError(si: Rec, message: string) {
  return invalidRequest(message, {
    code: 'setup_intent_unexpected_state',
    extra: { setup_intent: snapshot(si.obj) },
  })
}

function paymentMethodOptions(params: Params, types: string[] | null): Obj {
  const options: Obj = {
    card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' },
  }
  const bank = params.payment_method_options?.us_bank_account
  if (bank || types?.includes('us_bank_account')) {
    options.us_bank_account = {
      mandate_options: {},
      verification_method: bank?.verification_method ?? 'automatic',
    }
  }
  return options
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

/**
 * Checks a confirmation of `intent` (stored, or about to be created) before
 * anything changes. `missing` raises the error for a missing payment method.
 */
function prepareSetup(
  ctx: Context,
  intent: Obj,
  params: Params,
  previousReturnUrl: string | null,
  missing: (message: string) => never
): SetupPlan {
  normalizeTypes(params)
  assertValidReturnUrl(params.return_url)
  const returnUrl: string | null = params.return_url ?? previousReturnUrl
  const types: string[] | null =
    params.payment_method_types ??
    (intent.automatic_payment_methods ? null : intent.payment_method_types)
  assertReturnUrl(params.payment_method_types ? null : intent.automatic_payment_methods, returnUrl)
  if (params.payment_method && params.payment_method_data) {
    throw paramError(
      'You may only specify one of these parameters: payment_method, payment_method_data.',
      { code: 'parameters_exclusive', param: 'payment_method_data' }
    )
  }
  let paymentMethod: () => Rec
  let existing: Rec | null = null
  let type: string
  if (params.payment_method_data) {
    paymentMethod = preparePaymentMethodData(ctx, params.payment_method_data, 'payment_method_data')
    type = params.payment_method_data.type
  } else {
    const pmId: string | null = params.payment_method ?? intent.payment_method
    if (!pmId) {
      return missing("You cannot confirm this SetupIntent because it's missing a payment method.")
    }
    existing = resolvePaymentMethod(ctx, pmId, 'payment_method')
    assertUsable(intent.customer, existing)
    const found = existing
    paymentMethod = () => found
    type = existing.obj.type
  }
  if (types && !types.includes(type)) {
    throw paramError(
      `The PaymentMethod provided (${type}) is not allowed for this SetupIntent. Please attach ` +
        `a PaymentMethod of one of the following types: ${types.join(', ')}. Alternatively ` +
        `update the allowed payment_method_types for this SetupIntent to include "${type}".`,
      { code: 'setup_intent_invalid_parameter', param: 'payment_method' }
    )
  }
  let mandateData: Params | null = null
  if (type === 'us_bank_account') {
    const method =
      params.payment_method_options?.us_bank_account?.verification_method ??
      intent.payment_method_options?.us_bank_account?.verification_method
    if (method === 'instant' && !(existing && bankOf(existing).verified)) {
      throw paramError(
        'verification_method=instant needs a Financial Connections account, which the Stripe ' +
          'sandbox does not model. Use automatic or microdeposits for account and routing numbers.',
        { param: 'payment_method_options[us_bank_account][verification_method]' }
      )
    }
    if (!params.mandate_data) {
      throw paramError(MANDATE_REQUIRED_MESSAGE, { param: 'mandate_data' })
    }
    mandateData = params.mandate_data
  }
  return { paymentMethod, returnUrl, mandateData }
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
    if (isBankAccount(pm)) {
      bankOf(pm).verified = true
      setMandateStatus(engine, s.mandate, 'active')
      pm.x.mandate = s.mandate
    }
    const customer = s.customer ? engine.store.get(s.customer) : undefined
    if (customer) {
      attachPaymentMethod(engine.current!, pm, customer)
    }
    engine.store.reindex(si)
    engine.emitFor(si, 'setup_intent.succeeded')
  }

  function requireAuthentication(si: Rec, returnUrl: string | null): void {
    const s = si.obj
    s.status = 'requires_action'
    const source = newId('src')
    s.next_action = returnUrl
      ? { redirect_to_url: redirectToUrl(engine, si, returnUrl), type: 'redirect_to_url' }
      : {
          type: 'use_stripe_sdk',
          use_stripe_sdk: {
            source,
            stripe_js: `https://hooks.stripe.com/redirect/authenticate/${source}`,
            type: 'three_d_secure_redirect',
          },
        }
    engine.emitFor(si, 'setup_intent.requires_action')
  }

  function setUpCard(si: Rec, pm: Rec, returnUrl: string | null): void {
    const s = si.obj
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
      requireAuthentication(si, returnUrl)
      return
    }
    succeed(si, pm)
  }

  function setUpBankAccount(si: Rec, pm: Rec, mandateData: Params): void {
    const mandate = createMandate(engine, si, {
      paymentMethod: pm,
      data: mandateData,
      singleUse: null,
      status: 'pending',
    })
    si.obj.mandate = mandate.id
    if (bankOf(pm).verified) {
      succeed(si, pm)
    } else {
      startMicrodeposits(engine, si, pm)
    }
  }

  function execute(si: Rec, params: Params, plan: SetupPlan): void {
    const s = si.obj
    const types: string[] | undefined = params.payment_method_types
    if (types) {
      s.allowed_payment_method_types = types
      s.payment_method_types = types
      s.automatic_payment_methods = null
    }
    if (params.payment_method_options) {
      s.payment_method_options = paymentMethodOptions(params, s.payment_method_types)
    }
    si.x.returnUrl = plan.returnUrl
    const pm = plan.paymentMethod()
    s.payment_method = pm.id
    engine.store.reindex(si)
    engine.markDirty()
    if (plan.mandateData) {
      setUpBankAccount(si, pm, plan.mandateData)
    } else {
      setUpCard(si, pm, plan.returnUrl)
    }
  }

  function authenticate(si: Rec, outcome: Outcome): void {
    const s = si.obj
    if (s.status !== 'requires_action' || s.next_action?.type === 'verify_with_microdeposits') {
      throw stateError(
        si,
        `This SetupIntent has a status of ${s.status}; only a SetupIntent that requires ` +
          '3D Secure authentication can be authenticated.'
      )
    }
    const pm = engine.store.get(s.payment_method)
    if (!pm) {
      throw resourceMissing('PaymentMethod', String(s.payment_method), 'payment_method')
    }
    if (outcome === 'fail') {
      s.status = 'requires_payment_method'
      s.next_action = null
      s.payment_method = null
      s.last_setup_error = {
        code: 'setup_intent_authentication_failure',
        doc_url: 'https://stripe.com/docs/error-codes/setup-intent-authentication-failure',
        message: AUTHENTICATION_FAILURE,
        payment_method: snapshot(pm.obj),
        type: 'invalid_request_error',
      }
      engine.store.reindex(si)
      engine.emitFor(si, 'setup_intent.setup_failed')
      return
    }
    succeed(si, pm)
  }
  registerAuthenticator(engine, 'setup_intent', authenticate)

  function verify(si: Rec, params: Params): void {
    verifyMicrodeposits(engine, si, params, (pm) => succeed(si, pm))
  }
  registerVerifier(engine, 'setup_intent', verify)

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
    if (!params.confirm) {
      for (const key of ['return_url', 'payment_method_data', 'mandate_data'] as const) {
        if (params[key]) {
          throw paramError(`You can only pass ${key} when confirm=true.`, { param: key })
        }
      }
    }
    const automatic = params.payment_method_types
      ? null
      : {
          allow_redirects: params.automatic_payment_methods?.allow_redirects ?? 'always',
          enabled: params.automatic_payment_methods?.enabled ?? true,
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
      payment_method_options: paymentMethodOptions(params, params.payment_method_types ?? null),
      payment_method_types: params.payment_method_types ?? ['card'],
      single_use_mandate: null,
      status: pm ? 'requires_confirmation' : 'requires_payment_method',
      usage: params.usage ?? 'off_session',
    }
    const plan = params.confirm
      ? prepareSetup(ctx, obj, params, null, (message) => {
          throw paramError(message, {
            code: 'setup_intent_unexpected_state',
            param: 'payment_method',
          })
        })
      : null
    const si = engine.create('setup_intent', ctx.account, ctx.platform, obj, {
      returnUrl: params.return_url ?? null,
    })
    engine.emitFor(si, 'setup_intent.created')
    if (plan) {
      execute(si, params, plan)
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

  router.add('POST', '/v1/setup_intents/:id/confirm', hash(confirmParams), (ctx) => {
    const si = find(ctx, ctx.path.id)
    const s = si.obj
    if (!CONFIRMABLE.includes(s.status)) {
      throw stateError(
        si,
        `You cannot confirm this SetupIntent because it has a status of ${s.status}.`
      )
    }
    const plan = prepareSetup(ctx, s, ctx.params, si.x.returnUrl ?? null, (message) => {
      throw stateError(si, message)
    })
    execute(si, ctx.params, plan)
    return si.obj
  })

  router.add(
    'POST',
    '/v1/setup_intents/:id/verify_microdeposits',
    hash({ ...verifySpec.props, client_secret: str() }),
    (ctx) => {
      const si = find(ctx, ctx.path.id)
      verify(si, ctx.params)
      return si.obj
    }
  )

  router.add(
    'POST',
    '/v1/setup_intents/:id/cancel',
    hash({ cancellation_reason: str(['abandoned', 'duplicate', 'requested_by_customer']) }),
    (ctx) => {
      const si = find(ctx, ctx.path.id)
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
      authenticate(si, ctx.params.outcome === 'fail' ? 'fail' : 'succeed')
      return si.obj
    }
  )
}
