import type Stripe from 'stripe'

/**
 * Applies a Stripe event through the same guarded transitions as the
 * synchronous path. Each handler is idempotent and never moves an order
 * backwards, so duplicates and out-of-order deliveries are harmless.
 */
export type StripeEventHandler = (event: Stripe.Event, actor: string) => Promise<void>

const handlers: Record<string, () => Promise<{ default: StripeEventHandler }>> = {
  'payment_intent.amount_capturable_updated': () => import('./on_payment_intent.js'),
  'payment_intent.succeeded': () => import('./on_payment_intent.js'),
  'payment_intent.canceled': () => import('./on_payment_intent.js'),
  'payment_intent.payment_failed': () => import('./on_payment_intent.js'),
  'payment_intent.processing': () => import('./on_payment_intent.js'),
  'payment_intent.requires_action': () => import('./on_payment_intent.js'),
  'charge.refunded': () => import('./on_charge_refunded.js'),
  'charge.expired': () => import('./on_charge_expired.js'),
  'charge.dispute.created': () => import('./on_dispute_created.js'),
  'charge.dispute.updated': () => import('./on_dispute_updated.js'),
  'charge.dispute.funds_withdrawn': () => import('./on_dispute_funds_withdrawn.js'),
  'charge.dispute.funds_reinstated': () => import('./on_dispute_funds_reinstated.js'),
  'charge.dispute.closed': () => import('./on_dispute_closed.js'),
  'account.updated': () => import('./on_account_updated.js'),
  'setup_intent.succeeded': () => import('./on_setup_intent.js'),
  'setup_intent.setup_failed': () => import('./on_setup_intent.js'),
  'setup_intent.requires_action': () => import('./on_setup_intent.js'),
  'setup_intent.canceled': () => import('./on_setup_intent.js'),
}

export function handlesEventType(type: string) {
  return Object.hasOwn(handlers, type)
}

export async function applyStripeEvent(event: Stripe.Event) {
  const load = handlers[event.type]
  if (!load) {
    return
  }
  const { default: handle } = await load()
  await handle(event, `webhook:${event.id}`)
}
