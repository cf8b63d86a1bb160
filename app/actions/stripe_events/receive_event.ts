import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import db from '@adonisjs/lucid/services/db'
import { stripe, stripeConfig } from '#stripe/client'
import StripeEvent from '#models/stripe_event'
import { applyStripeEvent } from '#actions/stripe_events/apply_event'

export class InvalidSignatureError extends Error {}

/**
 * Verifies the signature against the platform and Connect signing secrets.
 * Throws InvalidSignatureError (and stores nothing) when none matches.
 */
export function verifyStripeEvent(rawBody: string, signature: string | undefined): Stripe.Event {
  if (!signature) {
    throw new InvalidSignatureError('Missing Stripe-Signature header')
  }
  for (const secret of stripeConfig().webhookSecrets) {
    try {
      return stripe().webhooks.constructEvent(rawBody, signature, secret)
    } catch {
      // try the next secret (platform vs Connect endpoint)
    }
  }
  throw new InvalidSignatureError('Invalid Stripe signature')
}

/**
 * Stores the raw event once (the unique event id makes a replay a no-op),
 * then applies it. A failure to apply is recorded on the row and does not
 * fail the delivery: the event is kept and `stripe:reconcile` applies it later.
 */
export async function receiveStripeEvent(event: Stripe.Event) {
  const inserted = await db
    .table('stripe_events')
    .insert({
      stripe_event_id: event.id,
      type: event.type,
      account: event.account ?? null,
      livemode: event.livemode,
      payload: storableJson(event),
      received_at: new Date(),
      attempts: 0,
    })
    .onConflict('stripe_event_id')
    .ignore()
    .returning('id')

  if (inserted.length === 0) {
    return { duplicate: true }
  }
  const stored = await StripeEvent.findOrFail(inserted[0].id)
  await processStoredEvent(stored)
  return { duplicate: false }
}

/**
 * The event as JSON PostgreSQL's jsonb accepts: it refuses NUL (\u0000), which
 * Stripe keeps in text it was given (a name typed elsewhere, or before
 * Crewpay refused control characters). Refused, every later event of that
 * account would fail to store; NUL becomes U+FFFD instead.
 */
function storableJson(event: Stripe.Event) {
  return JSON.stringify(event, (_key, value) =>
    typeof value === 'string' ? value.replaceAll('\u0000', '\uFFFD') : value
  )
}

/** Applies a stored event and records the outcome on its row */
export async function processStoredEvent(stored: StripeEvent) {
  try {
    await applyStripeEvent(stored.payload as Stripe.Event)
    stored.merge({ processedAt: DateTime.now(), processingError: null })
  } catch (error) {
    stored.processingError = error instanceof Error ? error.message : String(error)
  }
  stored.attempts += 1
  await stored.save()
}
