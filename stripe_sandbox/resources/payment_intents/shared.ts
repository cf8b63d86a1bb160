import { type Context } from '../../core/context.js'
import { snapshot } from '../../core/diff.js'
import { invalidRequest, unexpectedState } from '../../core/errors.js'
import { type Rec } from '../../core/store.js'
import { type Obj } from '../../core/types.js'
import { type Engine } from '../../engine.js'
import { findConnected } from '../accounts.js'
import { REUSE_MESSAGE } from '../payment_methods.js'
import { assertCanReceiveTransfers } from '../transfers.js'

/* Small pieces every PaymentIntent operation uses. */

export function findIntent(ctx: Context, id: string): Rec {
  return ctx.engine.find(ctx, 'payment_intent', id, 'payment_intent')
}

export function renderIntent(engine: Engine, pi: Rec): Obj {
  return engine.render(pi)
}

/** Stripe's payment_intent_unexpected_state, carrying the PaymentIntent as it is now. */
export function stateError(engine: Engine, pi: Rec, message: string) {
  return unexpectedState(message, { payment_intent: snapshot(renderIntent(engine, pi)) })
}

/** The destination of a destination charge must still be able to receive transfers. */
export function assertDestination(ctx: Context, destination: string | null | undefined): void {
  if (destination) {
    const account = findConnected(ctx, destination, 'transfer_data[destination]')
    assertCanReceiveTransfers(account, 'transfer_data[destination]')
  }
}

/** A PaymentMethod must be free, or attached to the PaymentIntent's customer. */
export function assertUsable(pm: Rec, customer: string | null): void {
  if (pm.obj.customer && pm.obj.customer !== customer) {
    throw invalidRequest(
      `The provided PaymentMethod (${pm.id}) is attached to a different Customer ` +
        `(${pm.obj.customer}) than the one on this PaymentIntent (${customer ?? 'none'}).`,
      { param: 'payment_method' }
    )
  }
  if (pm.x.consumed) {
    throw invalidRequest(REUSE_MESSAGE, { param: 'payment_method' })
  }
}

/** `transfer_data` as Stripe renders it on a PaymentIntent: `amount` only when one was set. */
export function transferData(destination: string, amount: number | null | undefined): Obj {
  return amount === null || amount === undefined ? { destination } : { amount, destination }
}
