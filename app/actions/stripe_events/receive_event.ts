import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import db from '@adonisjs/lucid/services/db'
import { stripe, stripeConfig } from '#stripe/client'
import StripeEvent from '#models/stripe_event'
import { applyStripeEvent, handlesEventType } from '#actions/stripe_events/apply_event'
import { enqueueMany } from '#services/queue'
import { storableJson } from '#services/storable_json'
import {
  webhookEventsApplied,
  webhookEventsFailed,
  webhookEventsReceived,
  webhookLag,
} from '#services/metrics'

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
 * How long one applier holds an event before another may take it over (a
 * worker that died mid-way). Longer than any Stripe call with its retries.
 */
export const APPLY_LEASE_SECONDS = 300

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

interface Delivery {
  row: Record<string, unknown>
  type: string
  resolve: (result: { duplicate: boolean; id: number | null }) => void
  reject: (error: unknown) => void
}

/** Deliveries waiting for the next batch, and the batch loop while one runs */
let waiting: Delivery[] = []
let storing: Promise<void> | null = null

/** Most events stored by one statement */
export const INTAKE_BATCH_SIZE = 500

/**
 * Stores the event once (the unique event id makes a replay a no-op) and
 * queues its application in the same transaction; the caller answers Stripe
 * at once. The event is kept exactly as sent (`raw_payload`, text) and as
 * queryable JSON (`payload`, with the characters jsonb refuses replaced), so
 * an event carrying a NUL byte is stored and applied like any other.
 *
 * Deliveries are stored together (group commit): while one batch is being
 * written, the deliveries that arrive wait for the next, which is one
 * multi-row `INSERT … ON CONFLICT DO NOTHING` and one insert of their
 * apply_stripe_event jobs in one transaction. At one delivery at a time that
 * is the old cost; under a burst, each delivery costs a share of two
 * statements instead of four round trips of its own, and every answer still
 * means "stored and queued".
 */
export function receiveStripeEvent(event: Stripe.Event, rawBody?: string) {
  return new Promise<{ duplicate: boolean; id: number | null }>((resolve, reject) => {
    waiting.push({
      row: {
        stripe_event_id: event.id,
        type: event.type,
        account: event.account ?? null,
        livemode: event.livemode,
        payload: JSON.stringify(storableJson(event)),
        raw_payload: rawBody ?? JSON.stringify(event),
        received_at: new Date(),
        attempts: 0,
      },
      type: event.type,
      resolve,
      reject,
    })
    storing ??= storeWaiting()
  })
}

async function storeWaiting() {
  // The deliveries parsed in this turn of the event loop join the first batch
  await new Promise((resolve) => setImmediate(resolve))
  while (waiting.length > 0) {
    const batch = waiting.slice(0, INTAKE_BATCH_SIZE)
    waiting = waiting.slice(INTAKE_BATCH_SIZE)
    await storeBatch(batch).catch(async (error) => {
      if (batch.length === 1) {
        batch[0].reject(error)
        return
      }
      // One bad row must not fail the others: each alone, once
      for (const delivery of batch) {
        await storeBatch([delivery]).catch((single) => delivery.reject(single))
      }
    })
  }
  storing = null
}

async function storeBatch(batch: Delivery[]) {
  // One row per event id, in id order: a replay within the batch is a
  // duplicate, and concurrent batches (other processes) lock keys in the
  // same order, so they cannot deadlock
  const rows = new Map<string, Record<string, unknown>>()
  for (const delivery of batch) {
    const id = delivery.row.stripe_event_id as string
    if (!rows.has(id)) rows.set(id, delivery.row)
  }
  const ordered = [...rows.keys()].sort().map((id) => rows.get(id)!)

  const stored = await db.transaction(async (trx) => {
    const inserted: { id: number; stripe_event_id: string }[] = await trx
      .table('stripe_events')
      .multiInsert(ordered)
      .onConflict('stripe_event_id')
      .ignore()
      .returning(['id', 'stripe_event_id'])
    if (inserted.length > 0) {
      await enqueueMany(
        'apply_stripe_event',
        inserted.map((row) => ({ eventId: row.id })),
        { trx }
      )
    }
    return new Map(inserted.map((row) => [row.stripe_event_id, row.id]))
  })

  for (const delivery of batch) {
    const eventId = delivery.row.stripe_event_id as string
    const id = stored.get(eventId) ?? null
    // The first delivery of a new event stored it; any other is a duplicate
    stored.delete(eventId)
    const result = { duplicate: id === null, id }
    webhookEventsReceived.inc({ type: delivery.type, duplicate: String(result.duplicate) })
    delivery.resolve(result)
  }
}

/**
 * Takes a stored event's lease: its row as it is now, or null when it was
 * applied already or is being applied elsewhere (one statement)
 */
async function claimEvent(id: number): Promise<StripeEvent | null> {
  const now = DateTime.now()
  const [row] = await db
    .from('stripe_events')
    .where('id', id)
    .whereNull('processed_at')
    .where((query) =>
      query
        .whereNull('processing_started_at')
        .orWhere(
          'processing_started_at',
          '<',
          now.minus({ seconds: APPLY_LEASE_SECONDS }).toJSDate()
        )
    )
    .update({ processing_started_at: now.toJSDate() })
    .returning('*')
  return row ? StripeEvent.$createFromAdapterResult(row) : null
}

/** Applies an event whose lease this process holds, and records the outcome on its row */
async function applyClaimed(claimed: StripeEvent) {
  const event = claimed.event
  // One that can never be applied (stored before the webhook refused such
  // events) is set aside, processed with the reason, rather than retried forever
  const malformed = malformedEvent(event)
  let failure: string | null = null
  try {
    if (!malformed) {
      await applyStripeEvent(event)
    }
  } catch (error) {
    failure = storableJson(error instanceof Error ? error.message : String(error))
  }
  claimed.merge({
    attempts: claimed.attempts + 1,
    processingStartedAt: null,
    ...(failure === null
      ? {
          processedAt: DateTime.now(),
          processingError: malformed ? `Malformed: ${malformed}` : null,
        }
      : { processingError: failure }),
  })
  await claimed.save()

  if (failure === null) {
    webhookEventsApplied.inc({ type: event.type })
    if (typeof event.created === 'number') {
      webhookLag.observe({ type: event.type }, Math.max(0, Date.now() / 1000 - event.created))
    }
  } else {
    webhookEventsFailed.inc({ type: event.type })
  }
  return { applied: failure === null }
}

/**
 * Applies a stored event and records the outcome on its row (the entry point
 * of `webhooks:retry`, `stripe:reconcile --fix` and the dev clock). Takes the
 * event's lease first: an event already applied, or being applied elsewhere,
 * is left alone (`applied: false`, nothing recorded). `stored` is read again.
 */
export async function processStoredEvent(stored: StripeEvent) {
  const claimed = await claimEvent(stored.id)
  const result = claimed ? await applyClaimed(claimed) : { applied: false }
  await stored.refresh()
  return result
}

export class EventNotAppliedError extends Error {}

/**
 * The apply_stripe_event job: applies the event, or throws so that pg-boss
 * retries it (it failed, or another applier holds it right now).
 */
export async function applyStoredEventOrThrow(eventId: number) {
  const claimed = await claimEvent(eventId)
  if (!claimed) {
    const stored = await StripeEvent.find(eventId)
    if (!stored || stored.processedAt) {
      return
    }
    throw new EventNotAppliedError(
      `${stored.type} ${stored.stripeEventId} is being applied by another process`
    )
  }
  const { applied } = await applyClaimed(claimed)
  if (!applied) {
    throw new EventNotAppliedError(
      `${claimed.type} ${claimed.stripeEventId}: ${claimed.processingError}`
    )
  }
}
