import { snapshot } from '../../core/diff.js'
import { resourceMissing } from '../../core/errors.js'
import { hash, str } from '../../core/params.js'
import { type Rec } from '../../core/store.js'
import { type Engine } from '../../engine.js'
import { type Outcome, registerAuthenticator } from '../../three_d_secure.js'
import { cardOf } from '../payment_methods.js'
import { authorize, decline } from './card.js'
import { findIntent, renderIntent, stateError } from './shared.js'

/*
 * Completing or failing a PaymentIntent's 3D Secure challenge. Stripe has no
 * server-side API for it: the sandbox offers a test helper (for server-side
 * tests) and its test authentication page (for a browser), both landing here.
 */

const FAILURE_MESSAGE =
  'The provided PaymentMethod has failed authentication. You can provide payment_method_data ' +
  'or a new PaymentMethod to attempt to fulfill this PaymentIntent again.'

export function authenticatePaymentIntent(engine: Engine, pi: Rec, outcome: Outcome): void {
  const p = pi.obj
  if (p.status !== 'requires_action' || p.next_action?.type === 'verify_with_microdeposits') {
    throw stateError(
      engine,
      pi,
      `This PaymentIntent has a status of ${p.status}; only a PaymentIntent that requires ` +
        '3D Secure authentication can be authenticated.'
    )
  }
  const pm = engine.store.get(p.payment_method)
  if (!pm) {
    throw resourceMissing('PaymentMethod', String(p.payment_method), 'payment_method')
  }
  if (outcome === 'fail') {
    p.status = 'requires_payment_method'
    p.next_action = null
    p.payment_method = null
    p.last_payment_error = {
      code: 'payment_intent_authentication_failure',
      doc_url: 'https://stripe.com/docs/error-codes/payment-intent-authentication-failure',
      message: FAILURE_MESSAGE,
      payment_method: snapshot(pm.obj),
      type: 'invalid_request_error',
    }
    engine.emitFor(pi, 'payment_intent.payment_failed')
    return
  }
  const why = cardOf(pm).chargeDecline
  if (why) {
    decline(engine, pi, pm, why)
  } else {
    authorize(engine, pi, pm)
  }
  engine.markDirty()
}

export function registerAuthenticate(engine: Engine): void {
  registerAuthenticator(engine, 'payment_intent', (pi, outcome) =>
    authenticatePaymentIntent(engine, pi, outcome)
  )
  // Test helper: complete or fail the 3DS challenge of a requires_action PaymentIntent.
  engine.router.add(
    'POST',
    '/v1/test_helpers/sandbox/payment_intents/:id/authenticate',
    hash({ outcome: str(['succeed', 'fail']) }),
    (ctx) => {
      const pi = findIntent(ctx, ctx.path.id)
      authenticatePaymentIntent(engine, pi, ctx.params.outcome === 'fail' ? 'fail' : 'succeed')
      return renderIntent(engine, pi)
    }
  )
}
