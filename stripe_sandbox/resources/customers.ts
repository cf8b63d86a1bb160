import { previousAttributes, snapshot } from '../core/diff.js'
import { invalidRequest } from '../core/errors.js'
import { newId, randomString } from '../core/ids.js'
import { LIST_PARAMS, paginate } from '../core/lists.js'
import { applyMetadata, arr, dict, hash, int, meta, str, type Spec } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Obj, type Params } from '../core/types.js'
import { type Engine } from '../engine.js'
import { assertAttachable, attachPaymentMethod, resolvePaymentMethod } from './payment_methods.js'

const addressSpec = hash({
  city: str(),
  country: str(),
  line1: str(),
  line2: str(),
  postal_code: str(),
  state: str(),
})

const customerParams: Record<string, Spec> = {
  address: addressSpec,
  balance: int(),
  description: str(),
  email: str(undefined, 512),
  invoice_prefix: str(),
  invoice_settings: hash({
    custom_fields: arr(
      hash({ name: str(undefined, 40), value: str(undefined, 140) }, ['name', 'value'])
    ),
    default_payment_method: str(),
    footer: str(),
    rendering_options: dict(),
  }),
  metadata: meta(),
  name: str(undefined, 256),
  phone: str(),
  preferred_locales: arr(str()),
  shipping: dict(),
  tax: dict(),
  tax_exempt: str(['none', 'exempt', 'reverse']),
}

const SIMPLE_FIELDS = [
  'address',
  'balance',
  'description',
  'email',
  'invoice_prefix',
  'name',
  'phone',
  'preferred_locales',
  'shipping',
  'tax_exempt',
] as const

function applyCustomerParams(engine: Engine, customer: Rec, params: Params): void {
  const obj = customer.obj
  for (const field of SIMPLE_FIELDS) {
    if (field in params) {
      obj[field] = params[field]
    }
  }
  if (params.tax_exempt === null) {
    obj.tax_exempt = 'none'
  }
  if (params.preferred_locales === null) {
    obj.preferred_locales = []
  }
  if (params.invoice_settings) {
    const settings = params.invoice_settings
    if (settings.custom_fields && settings.custom_fields.length > 4) {
      throw invalidRequest('Invalid invoice_settings[custom_fields]: at most 4 fields.', {
        param: 'invoice_settings[custom_fields]',
      })
    }
    const pm = settings.default_payment_method
    if (pm) {
      const rec = engine.store.get(pm)
      if (!rec || rec.type !== 'payment_method' || rec.obj.customer !== customer.id) {
        throw invalidRequest(
          `The customer does not have a payment method with the ID ${pm}. The payment method ` +
            `must be attached to the customer.`,
          { code: 'resource_missing', param: 'invoice_settings[default_payment_method]' }
        )
      }
    }
    for (const key of ['default_payment_method', 'footer', 'custom_fields'] as const) {
      if (key in settings) {
        obj.invoice_settings[key] = settings[key]
      }
    }
  }
  obj.metadata = applyMetadata(obj.metadata, params.metadata)
}

export function findCustomer(engine: Engine, account: string, id: string, param: string): Rec {
  const rec = engine.store.get(id)
  if (!rec || rec.type !== 'customer' || rec.acct !== account || rec.deleted) {
    throw invalidRequest(`No such customer: '${id}'`, {
      code: 'resource_missing',
      param,
      status: param === 'id' ? 404 : 400,
    })
  }
  return rec
}

export function registerCustomers(engine: Engine): void {
  const router = engine.router
  engine.setIndexer('customer', (rec) => (rec.obj.email ? [`email=${rec.obj.email}`] : []))

  router.add('POST', '/v1/customers', hash({ ...customerParams, payment_method: str() }), (ctx) => {
    const params = ctx.params
    // Resolve the payment method first: a declined card creates nothing.
    const pm = params.payment_method
      ? resolvePaymentMethod(ctx, params.payment_method, 'payment_method')
      : null
    const obj: Obj = {
      id: newId('cus', 14),
      object: 'customer',
      address: null,
      balance: 0,
      created: engine.now(),
      currency: null,
      customer_account: null,
      default_source: null,
      delinquent: false,
      description: null,
      discount: null,
      email: null,
      invoice_prefix: randomString(8).toUpperCase(),
      invoice_settings: {
        custom_fields: null,
        default_payment_method: null,
        footer: null,
        rendering_options: null,
      },
      livemode: false,
      metadata: {},
      name: null,
      next_invoice_sequence: 1,
      phone: null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    }
    if (pm) {
      assertAttachable(pm, null)
    }
    const customer = engine.create('customer', ctx.account, ctx.platform, obj)
    const { invoice_settings: invoiceSettings, ...rest } = params
    applyCustomerParams(engine, customer, rest)
    engine.store.reindex(customer)
    engine.emitFor(customer, 'customer.created')
    if (pm) {
      attachPaymentMethod(ctx, pm, customer)
    }
    if (invoiceSettings) {
      applyCustomerParams(engine, customer, { invoice_settings: invoiceSettings })
    }
    return customer.obj
  })

  router.add('GET', '/v1/customers/:id', hash({}), (ctx) => {
    const rec = engine.store.get(ctx.path.id)
    if (rec && rec.type === 'customer' && rec.acct === ctx.account && rec.deleted) {
      return { id: rec.id, object: 'customer', deleted: true }
    }
    return findCustomer(engine, ctx.account, ctx.path.id, 'id').obj
  })

  router.add(
    'POST',
    '/v1/customers/:id',
    hash({ ...customerParams, default_source: str() }),
    (ctx) => {
      const customer = findCustomer(engine, ctx.account, ctx.path.id, 'id')
      const before = snapshot(customer.obj)
      const { default_source: defaultSource, ...params } = ctx.params
      if (defaultSource) {
        throw invalidRequest(`No such source: '${defaultSource}'`, {
          code: 'resource_missing',
          param: 'default_source',
        })
      }
      applyCustomerParams(engine, customer, params)
      engine.store.reindex(customer)
      const previous = previousAttributes(before, customer.obj)
      if (previous) {
        engine.emitFor(customer, 'customer.updated', previous)
      }
      engine.markDirty()
      return customer.obj
    }
  )

  router.add('DELETE', '/v1/customers/:id', hash({}), (ctx) => {
    const customer = findCustomer(engine, ctx.account, ctx.path.id, 'id')
    for (const pm of [
      ...engine.store.list(`payment_method|${ctx.account}|customer=${customer.id}`),
    ]) {
      pm.obj.customer = null
      pm.x.consumed = true
      engine.store.reindex(pm)
    }
    customer.deleted = true
    engine.store.reindex(customer)
    engine.emitFor(customer, 'customer.deleted')
    return { id: customer.id, object: 'customer', deleted: true }
  })

  router.add(
    'GET',
    '/v1/customers',
    hash({ ...LIST_PARAMS, email: str(), test_clock: str() }),
    (ctx) => {
      const email = ctx.params.email
      const key = email ? `customer|${ctx.account}|email=${email}` : `customer|${ctx.account}`
      return paginate(engine.store.list(key), ctx.params, {
        store: engine.store,
        url: '/v1/customers',
        label: 'customer',
        render: (rec) => rec.obj,
      })
    }
  )
}
