import { hash, str } from '../../core/params.js'
import { type Engine } from '../../engine.js'
import { cancelProcessing } from '../ach_payments.js'
import { releaseCharge } from '../charges.js'
import { setMandateStatus } from '../mandates.js'
import { CONFIRMABLE } from './params.js'
import { findIntent, renderIntent, stateError } from './shared.js'

/*
 * Canceling a PaymentIntent, and the automatic cancellation of a card hold
 * that was not captured within 7 days (§3.5, §3.6). A processing ACH debit
 * can be canceled too (Stripe allows it in rare cases; its test
 * PaymentMethod pm_usBankAccount_processing exists for that).
 */

const CANCELABLE = [...CONFIRMABLE, 'requires_capture', 'processing']

export function registerCancel(engine: Engine): void {
  engine.router.add(
    'POST',
    '/v1/payment_intents/:id/cancel',
    hash({
      cancellation_reason: str(['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned']),
    }),
    (ctx) => {
      const pi = findIntent(ctx, ctx.path.id)
      const p = pi.obj
      if (!CANCELABLE.includes(p.status)) {
        throw stateError(
          engine,
          pi,
          `You cannot cancel this PaymentIntent because it has a status of ${p.status}. Only a ` +
            'PaymentIntent with one of the following statuses may be canceled: ' +
            'requires_payment_method, requires_capture, requires_confirmation, requires_action, ' +
            'processing.'
        )
      }
      const hold = p.status === 'requires_capture' ? engine.store.get(p.latest_charge) : undefined
      if (hold) {
        releaseCharge(engine, hold, null)
      }
      const debit = p.status === 'processing' ? cancelProcessing(engine, pi) : null
      if (p.status === 'requires_action') {
        setMandateStatus(engine, pi.x.mandate ?? null, 'inactive')
        pi.x.microdeposits = null
      }
      p.status = 'canceled'
      p.canceled_at = engine.now()
      p.cancellation_reason = ctx.params.cancellation_reason ?? null
      p.amount_capturable = 0
      p.next_action = null
      engine.emitFor(pi, 'payment_intent.canceled')
      if (hold) {
        engine.emitFor(hold, 'charge.refunded')
      }
      if (debit) {
        engine.emitFor(debit, 'charge.failed')
      }
      return renderIntent(engine, pi)
    }
  )

  // Authorisations lapse after 7 days: the hold is released (§3.6).
  engine.onJob('payment_intent.expire', (job) => {
    const pi = engine.store.get(String(job.data.id))
    if (!pi || pi.obj.status !== 'requires_capture' || pi.obj.latest_charge !== job.data.charge) {
      return
    }
    const charge = engine.store.get(pi.obj.latest_charge)!
    releaseCharge(engine, charge, 'expired_uncaptured_charge')
    const p = pi.obj
    p.status = 'canceled'
    p.cancellation_reason = 'automatic'
    p.canceled_at = engine.now()
    p.amount_capturable = 0
    engine.emitFor(charge, 'charge.expired')
    engine.emitFor(pi, 'payment_intent.canceled')
  })
}
