import { type Context } from '../../core/context.js'
import { paramError } from '../../core/errors.js'
import { newId, randomString } from '../../core/ids.js'
import { applyMetadata, hash } from '../../core/params.js'
import { type Obj, type Params } from '../../core/types.js'
import { type Engine } from '../../engine.js'
import { assertCurrency } from '../../money.js'
import { findConnected } from '../accounts.js'
import { findCustomer } from '../customers.js'
import { resolvePaymentMethod } from '../payment_methods.js'
import { assertCanReceiveTransfers } from '../transfers.js'
import { assertBankDebitSettings } from './bank_debit.js'
import { type ConfirmPlan, executeConfirm, prepareConfirm } from './confirm.js'
import {
  assertReturnUrl,
  createParams,
  normalizeTypes,
  paymentMethodOptions,
  validateMoney,
} from './params.js'
import { renderIntent, stateError, transferData } from './shared.js'

/* POST /v1/payment_intents: a new PaymentIntent, confirmed at once with confirm=true. */

function checkCreateParams(ctx: Context, params: Params, currency: string): void {
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
    for (const key of ['payment_method_data', 'mandate_data', 'mandate'] as const) {
      if (params[key]) {
        throw paramError(`You can only pass ${key} when confirm=true.`, { param: key })
      }
    }
  }
  if (params.payment_method_types?.includes('us_bank_account')) {
    assertBankDebitSettings(currency, params.capture_method ?? null)
  }
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
}

function newIntent(ctx: Context, params: Params, currency: string, automatic: Obj | null): Obj {
  const id = newId('pi')
  return {
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
    created: ctx.engine.now(),
    currency,
    customer: params.customer ?? null,
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
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: paymentMethodOptions(params, params.payment_method_types ?? null),
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
    status: 'requires_payment_method',
    transfer_data: params.transfer_data
      ? transferData(params.transfer_data.destination, params.transfer_data.amount)
      : null,
    transfer_group: params.transfer_group ?? null,
  }
}

export function registerCreate(engine: Engine): void {
  engine.router.add(
    'POST',
    '/v1/payment_intents',
    hash(createParams, ['amount', 'currency']),
    (ctx) => {
      const params = ctx.params
      normalizeTypes(params)
      const currency = assertCurrency(params.currency)
      checkCreateParams(ctx, params, currency)
      const automatic = params.payment_method_types
        ? null
        : {
            allow_redirects: params.automatic_payment_methods?.allow_redirects ?? 'always',
            enabled: params.automatic_payment_methods?.enabled ?? true,
          }
      if (params.confirm) {
        assertReturnUrl(automatic, params.return_url)
      }
      if (params.customer) {
        findCustomer(engine, ctx.account, params.customer, 'customer')
      }
      const obj = newIntent(ctx, params, currency, automatic)
      const pm = params.payment_method
        ? resolvePaymentMethod(ctx, params.payment_method, 'payment_method')
        : null
      obj.payment_method = pm?.id ?? null
      obj.status = pm ? 'requires_confirmation' : 'requires_payment_method'
      let plan: ConfirmPlan | null = null
      let missing: string | null = null
      if (params.confirm) {
        // Everything that can refuse the confirmation is checked before the intent exists,
        // except a missing payment method, which Stripe reports with the new intent.
        try {
          plan = prepareConfirm(ctx, obj, params, null, (message) => {
            throw new MissingPaymentMethod(message)
          })
        } catch (error) {
          if (!(error instanceof MissingPaymentMethod)) {
            throw error
          }
          missing = error.message
        }
      }
      const pi = engine.create('payment_intent', ctx.account, ctx.platform, obj, {
        returnUrl: params.return_url ?? null,
      })
      engine.emitFor(pi, 'payment_intent.created')
      if (missing) {
        throw stateError(engine, pi, missing)
      }
      if (plan) {
        executeConfirm(ctx, pi, params, plan)
      }
      return renderIntent(engine, pi)
    }
  )
}

class MissingPaymentMethod extends Error {}
