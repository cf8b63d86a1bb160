import { type Context } from '../core/context.js'
import { snapshot } from '../core/diff.js'
import { invalidRequest, paramError, resourceMissing, unexpectedState } from '../core/errors.js'
import { newId, randomString } from '../core/ids.js'
import { LIST_PARAMS, paginate } from '../core/lists.js'
import { applyMetadata, arr, bool, dict, hash, int, meta, str, type Spec } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Obj, type Params } from '../core/types.js'
import { type Engine } from '../engine.js'
import { assertChargeAmount, assertCurrency } from '../money.js'
import { type Decline, DECLINES } from '../test_cards.js'
import { findConnected } from './accounts.js'
import { AUTHORIZATION_SECONDS, captureCharge, createCardCharge, releaseCharge } from './charges.js'
import { findCustomer } from './customers.js'
import {
  attachPaymentMethod,
  cardError,
  cardOf,
  lastError,
  resolvePaymentMethod,
  REUSE_MESSAGE,
} from './payment_methods.js'
import { assertCanReceiveTransfers } from './transfers.js'

/*
 * PaymentIntents: the state machine (requires_payment_method →
 * requires_confirmation → requires_action → requires_capture → succeeded,
 * or canceled), test-card outcomes, manual capture and hold expiry.
 */

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action']
const CANCELABLE = [...CONFIRMABLE, 'requires_capture']

const RETURN_URL_MESSAGE =
  'This PaymentIntent is configured to accept payment methods enabled in your Dashboard. ' +
  'Because some of these payment methods might redirect your customer off of your page, you ' +
  "must provide a `return_url`. If you don't want to accept redirect-based payment methods, " +
  'set `automatic_payment_methods[enabled]` to `true` and ' +
  '`automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and ' +
  'Payment Intents.'

const AUTHENTICATION_NOT_HANDLED: Decline = {
  code: 'authentication_required',
  declineCode: 'authentication_not_handled',
  message:
    'This payment required an authentication action to complete, but `error_on_requires_action` ' +
    "was set. When you're ready, you can upgrade your integration to handle actions at " +
    'https://stripe.com/docs/payments/payment-intents/upgrade-to-handle-actions.',
}

/**
 * API 2026-10-28 (stripe-node v23) names the parameter
 * `allowed_payment_method_types`; older integrations send
 * `payment_method_types`. Both are accepted and mean the same.
 */
export function normalizeTypes(params: Params): void {
  const allowed = params.allowed_payment_method_types
  if (allowed === undefined) {
    return
  }
  const legacy = params.payment_method_types
  if (legacy !== undefined && JSON.stringify(legacy) !== JSON.stringify(allowed)) {
    throw paramError(
      'You may only specify one of these parameters: allowed_payment_method_types, ' +
        'payment_method_types.',
      { code: 'parameters_exclusive', param: 'allowed_payment_method_types' }
    )
  }
  params.payment_method_types = allowed
  delete params.allowed_payment_method_types
}

/** The §3.2 gotcha: redirect-capable automatic payment methods need a return_url to confirm. */
export function assertReturnUrl(automatic: Obj | null, returnUrl: string | null | undefined) {
  if (automatic?.enabled && automatic.allow_redirects !== 'never' && !returnUrl) {
    throw paramError(RETURN_URL_MESSAGE, { param: 'return_url' })
  }
}

const pmoSpec = hash({
  card: hash({
    capture_method: str(['manual']),
    request_three_d_secure: str(['any', 'automatic', 'challenge']),
    setup_future_usage: str(['none', 'off_session', 'on_session']),
  }),
})

const confirmParams: Record<string, Spec> = {
  allowed_payment_method_types: arr(str()),
  capture_method: str(['automatic', 'automatic_async', 'manual']),
  error_on_requires_action: bool(),
  mandate_data: dict(),
  off_session: str(['true', 'false', 'one_off', 'recurring']),
  payment_method: str(),
  payment_method_options: pmoSpec,
  payment_method_types: arr(str()),
  receipt_email: str(),
  return_url: str(),
  setup_future_usage: str(['off_session', 'on_session']),
  shipping: dict(),
  use_stripe_sdk: bool(),
}

const createParams: Record<string, Spec> = {
  ...confirmParams,
  amount: int(1),
  currency: str(),
  application_fee_amount: int(0),
  automatic_payment_methods: hash({ enabled: bool(), allow_redirects: str(['always', 'never']) }),
  confirm: bool(),
  confirmation_method: str(['automatic', 'manual']),
  customer: str(),
  description: str(),
  excluded_payment_method_types: arr(str()),
  metadata: meta(),
  on_behalf_of: str(),
  payment_method_configuration: str(),
  statement_descriptor: str(undefined, 22),
  statement_descriptor_suffix: str(undefined, 22),
  transfer_data: hash({ destination: str(), amount: int(1) }, ['destination']),
  transfer_group: str(),
}

const updateParams: Record<string, Spec> = {
  allowed_payment_method_types: arr(str()),
  amount: int(1),
  application_fee_amount: int(0),
  capture_method: str(['automatic', 'automatic_async', 'manual']),
  currency: str(),
  customer: str(),
  description: str(),
  excluded_payment_method_types: arr(str()),
  metadata: meta(),
  payment_method: str(),
  payment_method_options: pmoSpec,
  payment_method_types: arr(str()),
  receipt_email: str(),
  setup_future_usage: str(['off_session', 'on_session']),
  shipping: dict(),
  statement_descriptor: str(undefined, 22),
  statement_descriptor_suffix: str(undefined, 22),
  transfer_data: hash({ amount: int(1) }),
  transfer_group: str(),
}

/** Fields that may change whatever the status (everything else only before confirmation). */
const ALWAYS_UPDATABLE = new Set([
  'description',
  'metadata',
  'receipt_email',
  'shipping',
  'statement_descriptor',
  'statement_descriptor_suffix',
  'transfer_group',
])

function paymentMethodOptions(params: Params): Obj {
  const card: Obj = {
    installments: null,
    mandate_options: null,
    network: null,
    request_three_d_secure:
      params.payment_method_options?.card?.request_three_d_secure ?? 'automatic',
  }
  if (params.payment_method_options?.card?.capture_method) {
    card.capture_method = params.payment_method_options.card.capture_method
  }
  return { card }
}

function isManual(pi: Obj): boolean {
  return (
    pi.capture_method === 'manual' || pi.payment_method_options?.card?.capture_method === 'manual'
  )
}

function offSessionOf(value: string | null | undefined): boolean {
  return value !== undefined && value !== null && value !== 'false'
}

function validateMoney(params: Params, amount: number, currency: string) {
  const fee = params.application_fee_amount
  const destination = params.transfer_data?.destination
  if (fee !== undefined && fee !== null) {
    // Stripe also allows it on direct charges (Stripe-Account); the sandbox models
    // destination charges only, so it says so instead of silently ignoring the fee.
    if (!destination) {
      throw paramError(
        'Can only apply an application_fee_amount when the PaymentIntent is attempting a ' +
          'destination payment (using `transfer_data[destination]`); the Stripe sandbox does not ' +
          'model direct charges with application fees.',
        { param: 'application_fee_amount' }
      )
    }
    if (fee > amount) {
      throw paramError(
        `The application_fee_amount (${fee}) must be less than or equal to the amount (${amount}).`,
        { param: 'application_fee_amount' }
      )
    }
  }
  if (params.transfer_data?.amount && params.transfer_data.amount > amount) {
    throw paramError(
      `The transfer_data[amount] (${params.transfer_data.amount}) must be less than or equal to ` +
        `the amount (${amount}).`,
      { param: 'transfer_data[amount]' }
    )
  }
  assertChargeAmount(amount, currency)
}

export function registerPaymentIntents(engine: Engine): void {
  const router = engine.router
  engine.setIndexer('payment_intent', (rec) =>
    rec.obj.customer ? [`customer=${rec.obj.customer}`] : []
  )
  const render = (pi: Rec) => engine.render(pi)

  /** Declines an attempt: failed charge, PI back to requires_payment_method, events. */
  function decline(pi: Rec, pm: Rec, why: Decline): Rec {
    const charge = createCardCharge(engine, pi, pm, why)
    const p = pi.obj
    p.status = 'requires_payment_method'
    p.latest_charge = charge.id
    p.last_payment_error = lastError(why, pm, charge.id)
    p.payment_method = null
    p.next_action = null
    engine.emitFor(charge, 'charge.failed')
    engine.emitFor(pi, 'payment_intent.payment_failed')
    return charge
  }

  function authorize(pi: Rec, pm: Rec): void {
    const p = pi.obj
    const charge = createCardCharge(engine, pi, pm)
    p.latest_charge = charge.id
    p.last_payment_error = null
    p.next_action = null
    p.payment_method = pm.id
    if (p.setup_future_usage && p.customer) {
      const customer = engine.store.get(p.customer)
      if (customer) {
        pm.x.setUp = true
        attachPaymentMethod(engine.current!, pm, customer)
      }
    }
    if (!pm.obj.customer) {
      // A PaymentMethod not attached to a customer can only be used once.
      pm.x.consumed = true
    }
    if (isManual(p)) {
      p.status = 'requires_capture'
      p.amount_capturable = p.amount
      engine.emitFor(charge, 'charge.succeeded')
      engine.emitFor(pi, 'payment_intent.amount_capturable_updated')
      engine.schedule(engine.now() + AUTHORIZATION_SECONDS, 'payment_intent.expire', {
        id: pi.id,
        charge: charge.id,
      })
      return
    }
    const created = captureCharge(engine, charge, p.amount, p.application_fee_amount)
    p.status = 'succeeded'
    p.amount_received = p.amount
    engine.emitFor(charge, 'charge.succeeded')
    engine.emitFor(pi, 'payment_intent.succeeded')
    announce(created)
  }

  function announce(created: { transfer?: Rec; applicationFee?: Rec }): void {
    if (created.transfer) {
      engine.emitFor(created.transfer, 'transfer.created')
    }
    if (created.applicationFee) {
      engine.emitFor(created.applicationFee, 'application_fee.created')
    }
  }

  function requireAction(pi: Rec, pm: Rec, returnUrl: string | null): void {
    const p = pi.obj
    p.status = 'requires_action'
    p.payment_method = pm.id
    const source = newId('src')
    p.next_action = returnUrl
      ? {
          redirect_to_url: {
            return_url: returnUrl,
            url: `https://hooks.stripe.com/redirect/authenticate/${source}?client_secret=${p.client_secret}`,
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
    engine.emitFor(pi, 'payment_intent.requires_action')
  }

  /** The destination of a destination charge must still be able to receive transfers. */
  function assertDestination(ctx: Context, destination: string | null | undefined): void {
    if (destination) {
      const account = findConnected(ctx, destination, 'transfer_data[destination]')
      assertCanReceiveTransfers(account, 'transfer_data[destination]')
    }
  }

  /** A PaymentMethod must be free, or attached to the PaymentIntent's customer. */
  function assertUsable(pm: Rec, customer: string | null): void {
    if (pm.obj.customer && pm.obj.customer !== customer) {
      throw invalidRequest(
        `The provided PaymentMethod (${pm.id}) is attached to a different Customer ` +
          `(${pm.obj.customer}) than the one on this PaymentIntent (${customer ?? 'none'}).`,
        { param: 'payment_method' }
      )
    }
    if (pm.x.consumed) {
      throw invalidRequest(REUSE_MESSAGE, { param: 'payment_method' })
    }
  }

  /**
   * One confirmation attempt with the PI's current settings. Declines are
   * recorded, then thrown as Stripe's 402 (with the PI in the error).
   */
  function attempt(pi: Rec, pm: Rec, opts: Params, returnUrl: string | null) {
    const card = cardOf(pm)
    const offSession = offSessionOf(opts.off_session)
    const needsAuth =
      card.auth === 'always' ||
      (card.auth === 'on_setup' && !(offSession && pm.x.setUp)) ||
      (card.auth === 'setup_for_off_session' && !offSession)
    let why: Decline | undefined = card.decline
    if (!why && needsAuth) {
      if (offSession) {
        why = DECLINES.authenticationRequired
      } else if (opts.error_on_requires_action) {
        why = AUTHENTICATION_NOT_HANDLED
      } else {
        requireAction(pi, pm, returnUrl)
        return
      }
    }
    why ??= card.chargeDecline
    if (why) {
      const charge = decline(pi, pm, why)
      throw cardError(why, {
        charge: charge.id,
        payment_intent: snapshot(render(pi)),
        payment_method: snapshot(pm.obj),
      })
    }
    authorize(pi, pm)
  }

  /** Applies confirm-time parameters, then attempts the payment. */
  function confirm(ctx: Context, pi: Rec, params: Params): void {
    normalizeTypes(params)
    const p = pi.obj
    if (!CONFIRMABLE.includes(p.status)) {
      const message =
        p.status === 'succeeded'
          ? 'You cannot confirm this PaymentIntent because it has already succeeded after being ' +
            'previously confirmed.'
          : `You cannot confirm this PaymentIntent because it has a status of ${p.status}. Only a ` +
            `PaymentIntent with one of the following statuses may be confirmed: ` +
            `${CONFIRMABLE.join(', ')}.`
      throw unexpectedState(message, { payment_intent: snapshot(render(pi)) })
    }
    const returnUrl = params.return_url ?? pi.x.returnUrl ?? null
    if (!params.payment_method_types) {
      assertReturnUrl(p.automatic_payment_methods, returnUrl)
    }
    const pmId: string | null = params.payment_method ?? p.payment_method
    if (!pmId) {
      throw unexpectedState(
        "You cannot confirm this PaymentIntent because it's missing a payment method. You can " +
          'either update the PaymentIntent with a payment method and then confirm it again, or ' +
          'confirm it again directly with a payment method.',
        { payment_intent: snapshot(render(pi)) }
      )
    }
    // Everything that can refuse the request is checked before anything changes.
    assertDestination(ctx, p.transfer_data?.destination)
    const pm = resolvePaymentMethod(ctx, pmId, 'payment_method')
    assertUsable(pm, p.customer)
    p.payment_method = pm.id
    for (const key of [
      'receipt_email',
      'setup_future_usage',
      'shipping',
      'capture_method',
    ] as const) {
      if (key in params) {
        p[key] = params[key]
      }
    }
    if (params.payment_method_types) {
      p.allowed_payment_method_types = params.payment_method_types
      p.payment_method_types = params.payment_method_types
      p.automatic_payment_methods = null
    }
    if (params.payment_method_options) {
      p.payment_method_options = paymentMethodOptions(params)
    }
    pi.x.returnUrl = returnUrl
    engine.markDirty()
    attempt(pi, pm, params, returnUrl)
  }

  const find = (ctx: Context, id: string) =>
    engine.find(ctx, 'payment_intent', id, 'payment_intent')

  router.add('POST', '/v1/payment_intents', hash(createParams, ['amount', 'currency']), (ctx) => {
    const params = ctx.params
    normalizeTypes(params)
    const currency = assertCurrency(params.currency)
    validateMoney(params, params.amount, currency)
    if (params.payment_method_types && params.automatic_payment_methods) {
      throw paramError(
        'You may only specify one of these parameters: automatic_payment_methods, ' +
          'payment_method_types.',
        { code: 'parameters_exclusive', param: 'automatic_payment_methods' }
      )
    }
    if (!params.confirm) {
      for (const key of ['off_session', 'error_on_requires_action', 'return_url'] as const) {
        if (params[key] !== undefined && params[key] !== null && params[key] !== false) {
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
    if (params.confirm) {
      assertReturnUrl(automatic, params.return_url)
    }
    const customer = params.customer
      ? findCustomer(engine, ctx.account, params.customer, 'customer')
      : null
    if (params.transfer_data) {
      const destination = findConnected(
        ctx,
        params.transfer_data.destination,
        'transfer_data[destination]'
      )
      assertCanReceiveTransfers(destination, 'transfer_data[destination]')
    }
    if (params.on_behalf_of) {
      findConnected(ctx, params.on_behalf_of, 'on_behalf_of')
    }
    const pm = params.payment_method
      ? resolvePaymentMethod(ctx, params.payment_method, 'payment_method')
      : null
    if (pm && params.confirm) {
      assertUsable(pm, customer?.id ?? null)
    }
    const id = newId('pi')
    const obj: Obj = {
      id,
      object: 'payment_intent',
      amount: params.amount,
      allowed_payment_method_types: params.payment_method_types ?? null,
      amount_capturable: 0,
      amount_details: { tip: {} },
      amount_received: 0,
      application: null,
      application_fee_amount: params.application_fee_amount ?? null,
      automatic_payment_methods: automatic,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: params.capture_method ?? 'automatic_async',
      client_secret: `${id}_secret_${randomString(25)}`,
      confirmation_method: params.confirmation_method ?? 'automatic',
      created: engine.now(),
      currency,
      customer: customer?.id ?? null,
      customer_account: null,
      description: params.description ?? null,
      excluded_payment_method_types: params.excluded_payment_method_types ?? null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      managed_payments: null,
      metadata: applyMetadata({}, params.metadata),
      next_action: null,
      on_behalf_of: params.on_behalf_of ?? null,
      payment_method: pm?.id ?? null,
      payment_method_configuration_details: null,
      payment_method_options: paymentMethodOptions(params),
      payment_method_types: params.payment_method_types ?? ['card'],
      payment_record: null,
      processing: null,
      receipt_email: params.receipt_email ?? null,
      review: null,
      setup_future_usage: params.setup_future_usage ?? null,
      shipping: params.shipping ?? null,
      source: null,
      statement_descriptor: params.statement_descriptor ?? null,
      statement_descriptor_suffix: params.statement_descriptor_suffix ?? null,
      status: pm ? 'requires_confirmation' : 'requires_payment_method',
      transfer_data: params.transfer_data
        ? {
            amount: params.transfer_data.amount ?? null,
            destination: params.transfer_data.destination,
          }
        : null,
      transfer_group: params.transfer_group ?? null,
    }
    const pi = engine.create('payment_intent', ctx.account, ctx.platform, obj, {
      returnUrl: params.return_url ?? null,
    })
    engine.emitFor(pi, 'payment_intent.created')
    if (params.confirm) {
      attempt(pi, pm ?? missingPaymentMethod(pi), params, params.return_url ?? null)
    }
    return render(pi)
  })

  function missingPaymentMethod(pi: Rec): never {
    throw unexpectedState(
      "You cannot confirm this PaymentIntent because it's missing a payment method.",
      { payment_intent: snapshot(render(pi)) }
    )
  }

  router.add('GET', '/v1/payment_intents/:id', hash({ client_secret: str() }), (ctx) =>
    render(find(ctx, ctx.path.id))
  )

  router.add('POST', '/v1/payment_intents/:id', hash(updateParams), (ctx) => {
    const pi = find(ctx, ctx.path.id)
    const p = pi.obj
    const params = ctx.params
    normalizeTypes(params)
    const restricted = Object.keys(params).filter((k) => !ALWAYS_UPDATABLE.has(k) && k !== 'expand')
    if (p.status === 'canceled' || (restricted.length > 0 && !CONFIRMABLE.includes(p.status))) {
      const field = p.status === 'canceled' ? 'details' : restricted[0]
      throw unexpectedState(
        `This PaymentIntent's ${field} could not be updated because it has a status of ` +
          `${p.status}. You may only update the ${field} of a PaymentIntent with one of the ` +
          `following statuses: ${CONFIRMABLE.join(', ')}.`,
        { payment_intent: snapshot(render(pi)) }
      )
    }
    const currency = params.currency ? assertCurrency(params.currency) : p.currency
    const amount = params.amount ?? p.amount
    const merged = {
      application_fee_amount: params.application_fee_amount ?? p.application_fee_amount,
      transfer_data: p.transfer_data
        ? { ...p.transfer_data, amount: params.transfer_data?.amount ?? p.transfer_data.amount }
        : params.transfer_data,
    }
    if (
      params.amount !== undefined ||
      params.currency ||
      params.application_fee_amount !== undefined
    ) {
      validateMoney(merged, amount, currency)
    }
    if (params.customer) {
      findCustomer(engine, ctx.account, params.customer, 'customer')
    }
    const pm = params.payment_method
      ? resolvePaymentMethod(ctx, params.payment_method, 'payment_method')
      : undefined
    const simple = [
      'amount',
      'application_fee_amount',
      'capture_method',
      'customer',
      'description',
      'excluded_payment_method_types',
      'receipt_email',
      'setup_future_usage',
      'shipping',
      'statement_descriptor',
      'statement_descriptor_suffix',
      'transfer_group',
    ] as const
    for (const key of simple) {
      if (key in params) {
        p[key] = params[key]
      }
    }
    p.currency = currency
    if (params.transfer_data?.amount !== undefined && p.transfer_data) {
      p.transfer_data.amount = params.transfer_data.amount
    }
    if (params.payment_method_types) {
      p.allowed_payment_method_types = params.payment_method_types
      p.payment_method_types = params.payment_method_types
      p.automatic_payment_methods = null
    }
    if (params.payment_method_options) {
      p.payment_method_options = paymentMethodOptions(params)
    }
    if (pm) {
      p.payment_method = pm.id
      if (p.status === 'requires_payment_method') {
        p.status = 'requires_confirmation'
      }
    } else if (params.payment_method === null) {
      p.payment_method = null
      p.status = 'requires_payment_method'
    }
    p.metadata = applyMetadata(p.metadata, params.metadata)
    engine.store.reindex(pi)
    engine.markDirty()
    return render(pi)
  })

  router.add('POST', '/v1/payment_intents/:id/confirm', hash(confirmParams), (ctx) => {
    const pi = find(ctx, ctx.path.id)
    confirm(ctx, pi, ctx.params)
    return render(pi)
  })

  router.add(
    'POST',
    '/v1/payment_intents/:id/capture',
    hash({
      amount_to_capture: int(1),
      application_fee_amount: int(0),
      final_capture: bool(),
      metadata: meta(),
      statement_descriptor: str(undefined, 22),
      statement_descriptor_suffix: str(undefined, 22),
      transfer_data: hash({ amount: int(1) }),
    }),
    (ctx) => {
      const pi = find(ctx, ctx.path.id)
      const p = pi.obj
      const params = ctx.params
      if (p.status !== 'requires_capture') {
        throw unexpectedState(
          `This PaymentIntent could not be captured because it has a status of ${p.status}. ` +
            'Only a PaymentIntent with one of the following statuses may be captured: ' +
            'requires_capture.',
          { payment_intent: snapshot(render(pi)) }
        )
      }
      const amount: number = params.amount_to_capture ?? p.amount_capturable
      if (amount > p.amount_capturable) {
        throw invalidRequest(
          `The amount to capture (${amount}) must be less than or equal to the amount that can ` +
            `be captured (${p.amount_capturable}).`,
          { code: 'amount_too_large', param: 'amount_to_capture' }
        )
      }
      const fee = params.application_fee_amount ?? p.application_fee_amount
      if (params.application_fee_amount !== undefined && !p.transfer_data) {
        throw paramError(
          'Can only apply an application_fee_amount when the PaymentIntent is a destination ' +
            'payment (using `transfer_data[destination]`).',
          { param: 'application_fee_amount' }
        )
      }
      const charge = engine.store.get(p.latest_charge)!
      if (params.transfer_data?.amount !== undefined && p.transfer_data) {
        p.transfer_data.amount = params.transfer_data.amount
        charge.obj.transfer_data.amount = params.transfer_data.amount
      }
      for (const key of ['statement_descriptor', 'statement_descriptor_suffix'] as const) {
        if (key in params) {
          p[key] = params[key]
        }
      }
      p.metadata = applyMetadata(p.metadata, params.metadata)
      const created = captureCharge(engine, charge, amount, fee)
      p.status = 'succeeded'
      p.amount_received = amount
      p.amount_capturable = 0
      p.application_fee_amount = charge.obj.application_fee_amount
      engine.emitFor(charge, 'charge.captured')
      engine.emitFor(pi, 'payment_intent.succeeded')
      announce(created)
      return render(pi)
    }
  )

  router.add(
    'POST',
    '/v1/payment_intents/:id/cancel',
    hash({
      cancellation_reason: str(['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned']),
    }),
    (ctx) => {
      const pi = find(ctx, ctx.path.id)
      const p = pi.obj
      if (!CANCELABLE.includes(p.status)) {
        throw unexpectedState(
          `You cannot cancel this PaymentIntent because it has a status of ${p.status}. Only a ` +
            'PaymentIntent with one of the following statuses may be canceled: ' +
            'requires_payment_method, requires_capture, requires_confirmation, requires_action, ' +
            'processing.',
          { payment_intent: snapshot(render(pi)) }
        )
      }
      const charge = p.status === 'requires_capture' ? engine.store.get(p.latest_charge) : undefined
      if (charge) {
        releaseCharge(engine, charge, null)
      }
      p.status = 'canceled'
      p.canceled_at = engine.now()
      p.cancellation_reason = ctx.params.cancellation_reason ?? null
      p.amount_capturable = 0
      p.next_action = null
      engine.emitFor(pi, 'payment_intent.canceled')
      if (charge) {
        engine.emitFor(charge, 'charge.refunded')
      }
      return render(pi)
    }
  )

  router.add('GET', '/v1/payment_intents', hash({ ...LIST_PARAMS, customer: str() }), (ctx) => {
    const customer = ctx.params.customer
    const key = customer
      ? `payment_intent|${ctx.account}|customer=${customer}`
      : `payment_intent|${ctx.account}`
    return paginate(engine.store.list(key), ctx.params, {
      store: engine.store,
      url: '/v1/payment_intents',
      label: 'payment_intent',
      render,
    })
  })

  // Authorisations lapse after 7 days: the hold is released (§3.6).
  engine.onJob('payment_intent.expire', (job) => {
    const pi = engine.store.get(String(job.data.id))
    if (!pi || pi.obj.status !== 'requires_capture' || pi.obj.latest_charge !== job.data.charge) {
      return
    }
    const charge = engine.store.get(pi.obj.latest_charge)!
    releaseCharge(engine, charge, 'expired_uncaptured_charge')
    const p = pi.obj
    p.status = 'canceled'
    p.cancellation_reason = 'automatic'
    p.canceled_at = engine.now()
    p.amount_capturable = 0
    engine.emitFor(charge, 'charge.expired')
    engine.emitFor(pi, 'payment_intent.canceled')
  })

  // Test helper: complete or fail the 3DS challenge of a requires_action PaymentIntent.
  router.add(
    'POST',
    '/v1/test_helpers/sandbox/payment_intents/:id/authenticate',
    hash({ outcome: str(['succeed', 'fail']) }),
    (ctx) => {
      const pi = find(ctx, ctx.path.id)
      const p = pi.obj
      if (p.status !== 'requires_action') {
        throw unexpectedState(
          `This PaymentIntent has a status of ${p.status}; only a PaymentIntent that requires ` +
            'action can be authenticated.',
          { payment_intent: snapshot(render(pi)) }
        )
      }
      const pm = engine.store.get(p.payment_method)
      if (!pm) {
        throw resourceMissing('PaymentMethod', String(p.payment_method), 'payment_method')
      }
      if (ctx.params.outcome === 'fail') {
        p.status = 'requires_payment_method'
        p.next_action = null
        p.payment_method = null
        p.last_payment_error = {
          code: 'payment_intent_authentication_failure',
          doc_url: 'https://stripe.com/docs/error-codes/payment-intent-authentication-failure',
          message:
            'The provided PaymentMethod has failed authentication. You can provide ' +
            'payment_method_data or a new PaymentMethod to attempt to fulfill this ' +
            'PaymentIntent again.',
          payment_method: snapshot(pm.obj),
          type: 'invalid_request_error',
        }
        engine.emitFor(pi, 'payment_intent.payment_failed')
        return render(pi)
      }
      const why = cardOf(pm).chargeDecline
      if (why) {
        decline(pi, pm, why)
      } else {
        authorize(pi, pm)
      }
      engine.markDirty()
      return render(pi)
    }
  )
}
