import { type Context } from '../../core/context.js'
import { paramError } from '../../core/errors.js'
import { hash } from '../../core/params.js'
import { type Rec } from '../../core/store.js'
import { type Obj, type Params } from '../../core/types.js'
import { type Engine } from '../../engine.js'
import { resolvePaymentMethod } from '../payment_methods.js'
import { preparePaymentMethodData } from '../us_bank_accounts.js'
import { attemptBankDebit, type BankPlan, prepareBankDebit } from './bank_debit.js'
import { attemptCard } from './card.js'
import {
  assertReturnUrl,
  assertValidReturnUrl,
  CONFIRMABLE,
  confirmParams,
  normalizeTypes,
  paymentMethodOptions,
} from './params.js'
import { assertDestination, assertUsable, findIntent, renderIntent, stateError } from './shared.js'

/*
 * Confirming a PaymentIntent (POST …/confirm, or create with confirm=true).
 * prepareConfirm() checks everything that can refuse the request before
 * anything changes; executeConfirm() then attempts the payment with the card
 * or the bank account.
 */

export interface ConfirmPlan {
  /** the PaymentMethod (created here when it came as payment_method_data) */
  paymentMethod: () => Rec
  returnUrl: string | null
  bank: BankPlan | null
}

const MISSING_PAYMENT_METHOD =
  "You cannot confirm this PaymentIntent because it's missing a payment method. You can " +
  'either update the PaymentIntent with a payment method and then confirm it again, or ' +
  'confirm it again directly with a payment method.'

/** The payment method types the intent accepts after this request (null: automatic). */
function typesAfter(intent: Obj, params: Params): string[] | null {
  if (params.payment_method_types) {
    return params.payment_method_types
  }
  return intent.automatic_payment_methods ? null : intent.payment_method_types
}

function assertTypeAllowed(types: string[] | null, type: string): void {
  if (types && !types.includes(type)) {
    throw paramError(
      `The PaymentMethod provided (${type}) is not allowed for this PaymentIntent. Please attach ` +
        `a PaymentMethod of one of the following types: ${types.join(', ')}. Alternatively ` +
        `update the allowed payment_method_types for this PaymentIntent to include "${type}".`,
      { code: 'payment_intent_invalid_parameter', param: 'payment_method' }
    )
  }
}

/**
 * Validates a confirmation of `intent` (the stored object, or the one about
 * to be created) with `params`. `missing` raises the error for an intent
 * without a payment method.
 */
export function prepareConfirm(
  ctx: Context,
  intent: Obj,
  params: Params,
  previousReturnUrl: string | null,
  missing: (message: string) => never
): ConfirmPlan {
  normalizeTypes(params)
  assertValidReturnUrl(params.return_url)
  const returnUrl: string | null = params.return_url ?? previousReturnUrl
  if (!params.payment_method_types) {
    assertReturnUrl(intent.automatic_payment_methods, returnUrl)
  }
  if (params.payment_method && params.payment_method_data) {
    throw paramError(
      'You may only specify one of these parameters: payment_method, payment_method_data.',
      { code: 'parameters_exclusive', param: 'payment_method_data' }
    )
  }
  assertDestination(ctx, intent.transfer_data?.destination)
  let existing: Rec | null = null
  let paymentMethod: () => Rec
  let type: string
  if (params.payment_method_data) {
    paymentMethod = preparePaymentMethodData(ctx, params.payment_method_data, 'payment_method_data')
    type = params.payment_method_data.type
  } else {
    const pmId: string | null = params.payment_method ?? intent.payment_method
    if (!pmId) {
      return missing(MISSING_PAYMENT_METHOD)
    }
    existing = resolvePaymentMethod(ctx, pmId, 'payment_method')
    assertUsable(existing, intent.customer)
    const found = existing
    paymentMethod = () => found
    type = existing.obj.type
  }
  assertTypeAllowed(typesAfter(intent, params), type)
  const bank = type === 'us_bank_account' ? prepareBankDebit(ctx, intent, params, existing) : null
  return { paymentMethod, returnUrl, bank }
}

/** Applies confirm-time parameters, then attempts the payment. */
export function executeConfirm(ctx: Context, pi: Rec, params: Params, plan: ConfirmPlan): void {
  const engine = ctx.engine
  const p = pi.obj
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
    p.payment_method_options = paymentMethodOptions(params, p.payment_method_types)
  }
  pi.x.returnUrl = plan.returnUrl
  const pm = plan.paymentMethod()
  p.payment_method = pm.id
  engine.markDirty()
  if (plan.bank) {
    attemptBankDebit(engine, pi, pm, plan.bank)
  } else {
    attemptCard(engine, pi, pm, params, plan.returnUrl)
  }
}

function confirm(ctx: Context, pi: Rec, params: Params): void {
  const engine = ctx.engine
  const p = pi.obj
  if (!CONFIRMABLE.includes(p.status)) {
    const message =
      p.status === 'succeeded'
        ? 'You cannot confirm this PaymentIntent because it has already succeeded after being ' +
          'previously confirmed.'
        : `You cannot confirm this PaymentIntent because it has a status of ${p.status}. Only a ` +
          `PaymentIntent with one of the following statuses may be confirmed: ` +
          `${CONFIRMABLE.join(', ')}.`
    throw stateError(engine, pi, message)
  }
  const plan = prepareConfirm(ctx, p, params, pi.x.returnUrl ?? null, (message) => {
    throw stateError(engine, pi, message)
  })
  executeConfirm(ctx, pi, params, plan)
}

export function registerConfirm(engine: Engine): void {
  engine.router.add('POST', '/v1/payment_intents/:id/confirm', hash(confirmParams), (ctx) => {
    const pi = findIntent(ctx, ctx.path.id)
    confirm(ctx, pi, ctx.params)
    return renderIntent(engine, pi)
  })
}
