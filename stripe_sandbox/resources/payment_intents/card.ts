import { snapshot } from '../../core/diff.js'
import { newId } from '../../core/ids.js'
import { type Rec } from '../../core/store.js'
import { type Params } from '../../core/types.js'
import { type Engine } from '../../engine.js'
import { type Decline, DECLINES } from '../../test_cards.js'
import { redirectToUrl } from '../../three_d_secure.js'
import { AUTHORIZATION_SECONDS, captureCharge, createCardCharge } from '../charges.js'
import { attachPaymentMethod, cardError, cardOf, lastError } from '../payment_methods.js'
import { isManual, offSessionOf } from './params.js'
import { renderIntent } from './shared.js'

/*
 * What a card does when a PaymentIntent is confirmed with it: authorise (and
 * capture unless it is a hold), decline with Stripe's 402, or ask for 3D
 * Secure first.
 */

const AUTHENTICATION_NOT_HANDLED: Decline = {
  code: 'authentication_required',
  declineCode: 'authentication_not_handled',
  message:
    'This payment required an authentication action to complete, but `error_on_requires_action` ' +
    "was set. When you're ready, you can upgrade your integration to handle actions at " +
    'https://stripe.com/docs/payments/payment-intents/upgrade-to-handle-actions.',
}

/** Announces what a capture created (destination charges). */
export function announce(engine: Engine, created: { transfer?: Rec; applicationFee?: Rec }) {
  if (created.transfer) {
    engine.emitFor(created.transfer, 'transfer.created')
  }
  if (created.applicationFee) {
    engine.emitFor(created.applicationFee, 'application_fee.created')
  }
}

/** Declines an attempt: failed charge, PI back to requires_payment_method, events. */
export function decline(engine: Engine, pi: Rec, pm: Rec, why: Decline): Rec {
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

/** Authorises the card: a hold (manual capture) or a captured payment. */
export function authorize(engine: Engine, pi: Rec, pm: Rec): void {
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
  announce(engine, created)
}

/**
 * 3D Secure is needed: with a return_url the customer is sent to the
 * sandbox's test authentication page; without one Stripe.js handles it
 * (`use_stripe_sdk`), which a server-side flow completes with the test helper.
 */
function requireAction(engine: Engine, pi: Rec, pm: Rec, returnUrl: string | null): void {
  const p = pi.obj
  p.status = 'requires_action'
  p.payment_method = pm.id
  const source = newId('src')
  p.next_action = returnUrl
    ? { redirect_to_url: redirectToUrl(engine, pi, returnUrl), type: 'redirect_to_url' }
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

/**
 * One card attempt with the PI's current settings. Declines are recorded,
 * then thrown as Stripe's 402 (with the PI in the error).
 */
export function attemptCard(
  engine: Engine,
  pi: Rec,
  pm: Rec,
  opts: Params,
  returnUrl: string | null
) {
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
      requireAction(engine, pi, pm, returnUrl)
      return
    }
  }
  why ??= card.chargeDecline
  if (why) {
    const charge = decline(engine, pi, pm, why)
    throw cardError(why, {
      charge: charge.id,
      payment_intent: snapshot(renderIntent(engine, pi)),
      payment_method: snapshot(pm.obj),
    })
  }
  authorize(engine, pi, pm)
}
