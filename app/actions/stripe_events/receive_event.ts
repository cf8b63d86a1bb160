import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import db from '@adonisjs/lucid/services/db'
import { stripe, stripeConfig } from '#stripe/client'
import StripeEvent from '#models/stripe_event'
import { applyStripeEvent, handlesEventType } from '#actions/stripe_events/apply_event'

export class InvalidSignatureError extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isText(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength
}

/**
 * What is wrong with a (signed) event's shape, or null when it can be
 * stored and applied: an id and a type that fit their columns, a data.object,
 * and for the types Crewpay handles, that object's id. Stripe never sends
 * such an event; one that gets here would fail on every attempt, so it is
 * refused at the door (and one stored earlier is set aside).
 */
export function malformedEvent(event: unknown): string | null {
  if (!isRecord(event)) {
    return 'the event is not an object'
  }
  if (!isText(event.id, 64)) {
    return 'the event has no valid id'
  }
  if (!isText(event.type, 80)) {
    return 'the event has no valid type'
  }
  if (event.account !== undefined && event.account !== null && !isText(event.account, 64)) {
    return 'the event has an invalid account'
  }
  if (event.livemode !== undefined && typeof event.livemode !== 'boolean') {
    return 'the event has an invalid livemode'
  }
  if (!isRecord(event.data) || !isRecord(event.data.object)) {
    return 'the event has no data.object'
  }
  if (handlesEventType(event.type) && !isText(event.data.object.id, 255)) {
    return `the ${event.type} event's object has no id`
  }
  return null
}

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
      payload: JSON.stringify(event),
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
 * Applies a stored event and records the outcome on its row. One that can
 * never be applied (malformed: stored before the webhook refused such
 * events) is set aside, processed with the reason, rather than retried forever.
 */
export async function processStoredEvent(stored: StripeEvent) {
  const malformed = malformedEvent(stored.payload)
  try {
    if (malformed) {
      stored.merge({ processedAt: DateTime.now(), processingError: `Malformed: ${malformed}` })
    } else {
      await applyStripeEvent(stored.payload as Stripe.Event)
      stored.merge({ processedAt: DateTime.now(), processingError: null })
    }
  } catch (error) {
    stored.processingError = error instanceof Error ? error.message : String(error)
  }
  stored.attempts += 1
  await stored.save()
}
