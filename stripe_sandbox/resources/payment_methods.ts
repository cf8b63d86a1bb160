import { type Context } from '../core/context.js'
import { previousAttributes, snapshot } from '../core/diff.js'
import { docUrl, type ErrorBody, invalidRequest, StripeError } from '../core/errors.js'
import { newId, stableString } from '../core/ids.js'
import { LIST_PARAMS, paginate } from '../core/lists.js'
import { applyMetadata, dict, hash, int, meta, str } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Obj } from '../core/types.js'
import { type Engine } from '../engine.js'
import { type Decline, lookupTestCard, type TestCard } from '../test_cards.js'
import { findCustomer } from './customers.js'
import { registerMandates } from './mandates.js'
import {
  isBankAccount,
  materializeBankToken,
  registerUsBankAccounts,
  bankOf,
} from './us_bank_accounts.js'
import { lookupBankToken } from '../test_bank_accounts.js'

/** The test card behind a PaymentMethod (every sandbox PM comes from one). */
export function cardOf(pm: Rec): TestCard {
  return lookupTestCard(pm.x.card) ?? lookupTestCard('pm_card_visa')!
}

/** Stripe's 402 card error; `extra` carries the PI/SI/charge involved. */
export function cardError(decline: Decline, extra: Partial<ErrorBody> = {}): StripeError {
  const body: ErrorBody = {
    type: 'card_error',
    code: decline.code,
    decline_code: decline.declineCode,
    doc_url: docUrl(decline.code),
    message: decline.message,
    ...extra,
  }
  return new StripeError(402, body)
}

/** The `last_payment_error` / `last_setup_error` hash stored on intents. */
export function lastError(decline: Decline, pm: Rec, charge: string | null): Obj {
  const error: Obj = {
    type: 'card_error',
    code: decline.code,
    decline_code: decline.declineCode,
    doc_url: docUrl(decline.code),
    message: decline.message,
    payment_method: snapshot(pm.obj),
  }
  if (charge) {
    error.charge = charge
  }
  return error
}

/** Materialises a magic test PaymentMethod (`pm_card_visa` …) as a fresh `pm_…`. */
export function materialize(engine: Engine, acct: string, plat: string, name: string): Rec {
  const card = lookupTestCard(name)!
  const now = engine.now()
  const year = new Date(now * 1000).getUTCFullYear()
  const obj: Obj = {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: {
      address: {
        city: null,
        country: null,
        line1: null,
        line2: null,
        postal_code: null,
        state: null,
      },
      email: null,
      name: null,
      phone: null,
      tax_id: null,
    },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: card.country,
      display_brand: card.brand,
      exp_month: 12,
      exp_year: year + 3,
      fingerprint: stableString(card.number, 16),
      funding: card.funding,
      generated_from: null,
      last4: card.number.slice(-4),
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: now,
    customer: null,
    customer_account: null,
    livemode: false,
    metadata: {},
    type: 'card',
  }
  return engine.create('payment_method', acct, plat, obj, { card: name })
}

/**
 * Resolves a `payment_method` parameter: a magic test id materialises a new
 * PaymentMethod, a `pm_…` must exist on the acting account.
 */
export function resolvePaymentMethod(ctx: Context, id: string, param: string): Rec {
  if (lookupTestCard(id)) {
    return materialize(ctx.engine, ctx.account, ctx.platform, id)
  }
  if (lookupBankToken(id)) {
    return materializeBankToken(ctx.engine, ctx.account, ctx.platform, id)
  }
  const rec = ctx.engine.store.get(id)
  if (!rec || rec.type !== 'payment_method' || rec.acct !== ctx.account) {
    throw invalidRequest(`No such PaymentMethod: '${id}'`, {
      code: 'resource_missing',
      param,
      status: param === 'id' ? 404 : 400,
    })
  }
  return rec
}

export const REUSE_MESSAGE =
  'This PaymentMethod was previously used without being attached to a Customer or was ' +
  'detached from a Customer, and may not be used again.'

const UNVERIFIED_BANK_MESSAGE =
  'A us_bank_account PaymentMethod must be verified before it can be attached to a customer. ' +
  'Save it with a SetupIntent (or a PaymentIntent with setup_future_usage) instead.'

/** Refuses what Stripe refuses when attaching: declined cards, reuse, another customer. */
export function assertAttachable(pm: Rec, customerId: string | null): void {
  if (pm.obj.customer && pm.obj.customer !== customerId) {
    throw invalidRequest(
      'The payment method you provided has already been attached to a customer.',
      {
        param: 'payment_method',
      }
    )
  }
  if (pm.x.consumed) {
    throw invalidRequest(REUSE_MESSAGE, { param: 'payment_method' })
  }
  if (isBankAccount(pm)) {
    if (!bankOf(pm).verified) {
      throw invalidRequest(UNVERIFIED_BANK_MESSAGE, { param: 'payment_method' })
    }
    return
  }
  const decline = cardOf(pm).decline
  if (decline) {
    // Stripe validates the card on attach; cards from the decline list fail here.
    throw cardError(decline, { payment_method: snapshot(pm.obj) })
  }
}

export function attachPaymentMethod(ctx: Context, pm: Rec, customer: Rec): void {
  if (pm.obj.customer === customer.id) {
    return
  }
  pm.obj.customer = customer.id
  ctx.engine.store.reindex(pm)
  ctx.engine.emitFor(pm, 'payment_method.attached')
}

export function registerPaymentMethods(engine: Engine): void {
  const router = engine.router
  registerUsBankAccounts(engine)
  registerMandates(engine)
  engine.setIndexer('payment_method', (rec) =>
    rec.obj.customer ? [`customer=${rec.obj.customer}`] : []
  )

  router.add('GET', '/v1/payment_methods/:id', hash({}), (ctx) => {
    return resolvePaymentMethod(ctx, ctx.path.id, 'id').obj
  })

  router.add(
    'POST',
    '/v1/payment_methods/:id',
    hash({
      allow_redisplay: str(['always', 'limited', 'unspecified']),
      billing_details: hash({
        address: dict(),
        email: str(),
        name: str(),
        phone: str(),
        tax_id: str(),
      }),
      card: hash({ exp_month: int(1), exp_year: int(1) }),
      metadata: meta(),
    }),
    (ctx) => {
      const pm = resolvePaymentMethod(ctx, ctx.path.id, 'id')
      const before = snapshot(pm.obj)
      const { billing_details: billing, card, metadata, allow_redisplay: redisplay } = ctx.params
      if (card && !pm.obj.card) {
        throw invalidRequest(`The PaymentMethod ${pm.id} is not a card.`, { param: 'card' })
      }
      if (billing) {
        for (const [key, value] of Object.entries(billing)) {
          pm.obj.billing_details[key] =
            key === 'address' && value ? { ...pm.obj.billing_details.address, ...value } : value
        }
      }
      if (card) {
        Object.assign(pm.obj.card, card)
      }
      if (redisplay) {
        pm.obj.allow_redisplay = redisplay
      }
      pm.obj.metadata = applyMetadata(pm.obj.metadata, metadata)
      const previous = previousAttributes(before, pm.obj)
      if (previous) {
        engine.emitFor(pm, 'payment_method.updated', previous)
      }
      engine.markDirty()
      return pm.obj
    }
  )

  router.add(
    'POST',
    '/v1/payment_methods/:id/attach',
    hash({ customer: str() }, ['customer']),
    (ctx) => {
      const customer = findCustomer(engine, ctx.account, ctx.params.customer, 'customer')
      const pm = resolvePaymentMethod(ctx, ctx.path.id, 'id')
      assertAttachable(pm, customer.id)
      attachPaymentMethod(ctx, pm, customer)
      return pm.obj
    }
  )

  router.add('POST', '/v1/payment_methods/:id/detach', hash({}), (ctx) => {
    const pm = resolvePaymentMethod(ctx, ctx.path.id, 'id')
    const customerId = pm.obj.customer
    if (!customerId) {
      throw invalidRequest(
        `The payment method ${pm.id} is not attached to a customer so detachment is impossible.`,
        { param: 'payment_method' }
      )
    }
    const previous = { customer: customerId }
    pm.obj.customer = null
    pm.x.consumed = true
    engine.store.reindex(pm)
    const customer = engine.store.get(customerId)
    if (customer && customer.obj.invoice_settings.default_payment_method === pm.id) {
      const before = snapshot(customer.obj)
      customer.obj.invoice_settings.default_payment_method = null
      engine.emitFor(customer, 'customer.updated', previousAttributes(before, customer.obj))
    }
    engine.emitFor(pm, 'payment_method.detached', previous)
    return pm.obj
  })

  const listSpec = hash({ ...LIST_PARAMS, customer: str(), type: str() })
  const list = (ctx: Context, customerId: string | undefined, url: string) => {
    const type = ctx.params.type
    if (customerId) {
      findCustomer(engine, ctx.account, customerId, url.includes('/customers/') ? 'id' : 'customer')
    }
    const key = customerId
      ? `payment_method|${ctx.account}|customer=${customerId}`
      : `payment_method|${ctx.account}`
    return paginate(engine.store.list(key), ctx.params, {
      store: engine.store,
      url,
      label: 'PaymentMethod',
      render: (rec) => rec.obj,
      filter: type ? (rec) => rec.obj.type === type : undefined,
    })
  }
  router.add('GET', '/v1/payment_methods', listSpec, (ctx) =>
    list(ctx, ctx.params.customer, '/v1/payment_methods')
  )
  router.add('GET', '/v1/customers/:id/payment_methods', listSpec, (ctx) =>
    list(ctx, ctx.path.id, `/v1/customers/${ctx.path.id}/payment_methods`)
  )
  router.add('GET', '/v1/customers/:id/payment_methods/:pm', hash({}), (ctx) => {
    const pm = resolvePaymentMethod(ctx, ctx.path.pm, 'id')
    if (pm.obj.customer !== ctx.path.id) {
      throw invalidRequest(`No such PaymentMethod: '${ctx.path.pm}'`, {
        code: 'resource_missing',
        param: 'id',
        status: 404,
      })
    }
    return pm.obj
  })
}
