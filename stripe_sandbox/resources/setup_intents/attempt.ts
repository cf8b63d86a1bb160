import { snapshot } from '../../core/diff.js'
import { resourceMissing } from '../../core/errors.js'
import { newId } from '../../core/ids.js'
import { type Rec } from '../../core/store.js'
import { type Params } from '../../core/types.js'
import { type Engine } from '../../engine.js'
import { type Outcome, redirectToUrl } from '../../three_d_secure.js'
import { createMandate, setMandateStatus } from '../mandates.js'
import { startMicrodeposits, verifyMicrodeposits } from '../microdeposits.js'
import { attachPaymentMethod, cardError, cardOf, lastError } from '../payment_methods.js'
import { bankOf, isBankAccount } from '../us_bank_accounts.js'
import { type SetupPlan, paymentMethodOptions, stateError } from './prepare.js'

/*
 * What happens when a SetupIntent is confirmed: a card is checked (declined
 * cards fail here too, some need 3D Secure first); a bank account gets a
 * mandate, and microdeposits unless it is already verified.
 */

const AUTHENTICATION_FAILURE =
  'The latest attempt to set up the payment method has failed because authentication failed.'

export function succeed(engine: Engine, si: Rec, pm: Rec): void {
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

function requireAuthentication(engine: Engine, si: Rec, returnUrl: string | null): void {
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

function setUpCard(engine: Engine, si: Rec, pm: Rec, returnUrl: string | null): void {
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
    requireAuthentication(engine, si, returnUrl)
    return
  }
  succeed(engine, si, pm)
}

function setUpBankAccount(engine: Engine, si: Rec, pm: Rec, mandateData: Params): void {
  const mandate = createMandate(engine, si, {
    paymentMethod: pm,
    data: mandateData,
    singleUse: null,
    status: 'pending',
  })
  si.obj.mandate = mandate.id
  if (bankOf(pm).verified) {
    succeed(engine, si, pm)
  } else {
    startMicrodeposits(engine, si, pm)
  }
}

/** Applies confirm-time parameters, then sets up the card or the bank account. */
export function execute(engine: Engine, si: Rec, params: Params, plan: SetupPlan): void {
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
    setUpBankAccount(engine, si, pm, plan.mandateData)
  } else {
    setUpCard(engine, si, pm, plan.returnUrl)
  }
}

/** Completes or fails the 3D Secure challenge (test helper and test page). */
export function authenticate(engine: Engine, si: Rec, outcome: Outcome): void {
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
  succeed(engine, si, pm)
}

/** One microdeposit verification attempt (API and hosted page). */
export function verify(engine: Engine, si: Rec, params: Params): void {
  verifyMicrodeposits(engine, si, params, (pm) => succeed(engine, si, pm))
}
