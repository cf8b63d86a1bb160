import { type Context } from '../../core/context.js'
import { paramError } from '../../core/errors.js'
import { hash, str } from '../../core/params.js'
import { type Rec } from '../../core/store.js'
import { type Obj, type Params } from '../../core/types.js'
import { type Engine } from '../../engine.js'
import { startProcessing } from '../ach_payments.js'
import {
  activeMandateOf,
  createMandate,
  findUsableMandate,
  MANDATE_REQUIRED_MESSAGE,
  setMandateStatus,
} from '../mandates.js'
import { startMicrodeposits, verifyMicrodeposits, verifySpec } from '../microdeposits.js'
import { registerVerifier } from '../microdeposit_page.js'
import { attachPaymentMethod } from '../payment_methods.js'
import { bankOf } from '../us_bank_accounts.js'
import { findIntent, renderIntent } from './shared.js'

/*
 * PaymentIntents paid by ACH Direct Debit (us_bank_account): USD only, no
 * manual capture, a mandate for every debit, and microdeposit verification
 * of hand-entered accounts before the first debit.
 */

export interface BankPlan {
  /** mandate_data to create a mandate from, or the mandate to reuse */
  mandate: { data: Params } | { existing: Rec }
}

/** Refuses what Stripe refuses for ACH, whatever the PaymentMethod. */
export function assertBankDebitSettings(currency: string, captureMethod: string | null): void {
  if (captureMethod === 'manual') {
    throw paramError(
      '`capture_method=manual` is not supported by payment method type `us_bank_account`. Use ' +
        'a different capture method.',
      { param: 'capture_method' }
    )
  }
  if (currency !== 'usd') {
    throw paramError(
      `The currency provided (${currency}) is invalid. Payments with us_bank_account support ` +
        'the following currencies: usd.',
      { code: 'invalid_currency', param: 'currency' }
    )
  }
}

/** Whether this PaymentIntent will save the bank account for later (multi-use mandate). */
function savesForLater(intent: Obj): boolean {
  const perType = intent.payment_method_options?.us_bank_account?.setup_future_usage
  return Boolean(intent.setup_future_usage) || (perType !== undefined && perType !== 'none')
}

/** The checks of a confirmation with a us_bank_account PaymentMethod (`pm` null: created inline). */
export function prepareBankDebit(
  ctx: Context,
  intent: Obj,
  params: Params,
  pm: Rec | null
): BankPlan {
  assertBankDebitSettings(intent.currency, params.capture_method ?? intent.capture_method)
  const method =
    params.payment_method_options?.us_bank_account?.verification_method ??
    intent.payment_method_options?.us_bank_account?.verification_method
  const verified = pm ? bankOf(pm).verified : false
  if (method === 'instant' && !verified) {
    throw paramError(
      'verification_method=instant needs a Financial Connections account, which the Stripe ' +
        'sandbox does not model. Use automatic or microdeposits for account and routing numbers.',
      { param: 'payment_method_options[us_bank_account][verification_method]' }
    )
  }
  if (params.mandate) {
    if (!pm) {
      throw paramError('A mandate can only be reused with the PaymentMethod it was given for.', {
        param: 'mandate',
      })
    }
    return { mandate: { existing: findUsableMandate(ctx, params.mandate, pm) } }
  }
  if (params.mandate_data) {
    return { mandate: { data: params.mandate_data } }
  }
  const existing = pm ? activeMandateOf(ctx.engine, pm) : undefined
  if (existing) {
    return { mandate: { existing } }
  }
  throw paramError(MANDATE_REQUIRED_MESSAGE, { param: 'mandate_data' })
}

/** The bank account is verified: the debit starts (and the account is saved if asked). */
function beginDebit(engine: Engine, pi: Rec, pm: Rec): void {
  const p = pi.obj
  const mandateId: string | null = pi.x.mandate ?? null
  setMandateStatus(engine, mandateId, 'active')
  const mandate = mandateId ? engine.store.get(mandateId) : undefined
  if (savesForLater(p) && p.customer) {
    const customer = engine.store.get(p.customer)
    if (customer) {
      attachPaymentMethod(engine.current!, pm, customer)
    }
  }
  if (mandate?.obj.type === 'multi_use') {
    pm.x.mandate = mandate.id
  }
  if (!pm.obj.customer) {
    pm.x.consumed = true
  }
  startProcessing(engine, pi, pm, mandateId)
}

export function attemptBankDebit(engine: Engine, pi: Rec, pm: Rec, plan: BankPlan): void {
  const p = pi.obj
  const verified = bankOf(pm).verified
  if ('existing' in plan.mandate) {
    pi.x.mandate = plan.mandate.existing.id
  } else {
    const mandate = createMandate(engine, pi, {
      paymentMethod: pm,
      data: plan.mandate.data,
      singleUse: savesForLater(p) ? null : { amount: p.amount, currency: p.currency },
      status: 'pending',
    })
    pi.x.mandate = mandate.id
  }
  if (verified) {
    beginDebit(engine, pi, pm)
  } else {
    startMicrodeposits(engine, pi, pm)
  }
}

/** Verification by the customer's browser (hosted page) or the server (API). */
export function verifyPaymentIntent(engine: Engine, pi: Rec, params: Params): void {
  verifyMicrodeposits(engine, pi, params, (pm) => beginDebit(engine, pi, pm))
}

export function registerVerifyMicrodeposits(engine: Engine): void {
  registerVerifier(engine, 'payment_intent', (pi, params) =>
    verifyPaymentIntent(engine, pi, params)
  )
  engine.router.add(
    'POST',
    '/v1/payment_intents/:id/verify_microdeposits',
    hash({ ...verifySpec.props, client_secret: str() }),
    (ctx) => {
      const pi = findIntent(ctx, ctx.path.id)
      verifyPaymentIntent(engine, pi, ctx.params)
      return renderIntent(engine, pi)
    }
  )
}
