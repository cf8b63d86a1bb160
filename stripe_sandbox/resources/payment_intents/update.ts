import { hash } from '../../core/params.js'
import { applyMetadata } from '../../core/params.js'
import { type Engine } from '../../engine.js'
import { assertCurrency } from '../../money.js'
import { findCustomer } from '../customers.js'
import { resolvePaymentMethod } from '../payment_methods.js'
import { assertBankDebitSettings } from './bank_debit.js'
import {
  ALWAYS_UPDATABLE,
  CONFIRMABLE,
  normalizeTypes,
  paymentMethodOptions,
  updateParams,
  validateMoney,
} from './params.js'
import { findIntent, renderIntent, stateError } from './shared.js'

/* POST /v1/payment_intents/{id}: most fields change only before the intent is confirmed. */

const SIMPLE_FIELDS = [
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

export function registerUpdate(engine: Engine): void {
  engine.router.add('POST', '/v1/payment_intents/:id', hash(updateParams), (ctx) => {
    const pi = findIntent(ctx, ctx.path.id)
    const p = pi.obj
    const params = ctx.params
    normalizeTypes(params)
    const restricted = Object.keys(params).filter((k) => !ALWAYS_UPDATABLE.has(k) && k !== 'expand')
    if (p.status === 'canceled' || (restricted.length > 0 && !CONFIRMABLE.includes(p.status))) {
      const field = p.status === 'canceled' ? 'details' : restricted[0]
      throw stateError(
        engine,
        pi,
        `This PaymentIntent's ${field} could not be updated because it has a status of ` +
          `${p.status}. You may only update the ${field} of a PaymentIntent with one of the ` +
          `following statuses: ${CONFIRMABLE.join(', ')}.`
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
    const types: string[] = params.payment_method_types ?? p.payment_method_types
    if (types.includes('us_bank_account')) {
      assertBankDebitSettings(currency, params.capture_method ?? p.capture_method)
    }
    if (params.customer) {
      findCustomer(engine, ctx.account, params.customer, 'customer')
    }
    const pm = params.payment_method
      ? resolvePaymentMethod(ctx, params.payment_method, 'payment_method')
      : undefined
    for (const key of SIMPLE_FIELDS) {
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
      p.payment_method_options = paymentMethodOptions(params, p.payment_method_types)
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
    return renderIntent(engine, pi)
  })
}
