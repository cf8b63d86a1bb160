import { type Context } from '../../core/context.js'
import { snapshot } from '../../core/diff.js'
import { invalidRequest, paramError } from '../../core/errors.js'
import { arr, bool, dict, hash, meta, str, type Spec } from '../../core/params.js'
import { type Rec } from '../../core/store.js'
import { type Obj, type Params } from '../../core/types.js'
import { MANDATE_REQUIRED_MESSAGE } from '../mandates.js'
import { assertReturnUrl, assertValidReturnUrl, normalizeTypes } from '../payment_intents/params.js'
import { resolvePaymentMethod, REUSE_MESSAGE } from '../payment_methods.js'
import {
  bankOf,
  mandateDataSpec,
  paymentMethodDataSpec,
  preparePaymentMethodData,
} from '../us_bank_accounts.js'

/*
 * What SetupIntent endpoints accept, and the checks of a confirmation, made
 * before anything changes.
 */

export const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action']

export const confirmParams: Record<string, Spec> = {
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

export const createParams: Record<string, Spec> = {
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

export interface SetupPlan {
  paymentMethod: () => Rec
  returnUrl: string | null
  /** mandate_data for a bank account */
  mandateData: Params | null
}

export function stateError(si: Rec, message: string) {
  return invalidRequest(message, {
    code: 'setup_intent_unexpected_state',
    extra: { setup_intent: snapshot(si.obj) },
  })
}

export function paymentMethodOptions(params: Params, types: string[] | null): Obj {
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
export function prepareSetup(
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
