import { defineJob } from '#jobs/job'

/**
 * Applies a stored Stripe webhook event (the delivery was answered 200 as
 * soon as the event was stored). A failure is recorded on the event and
 * retried with backoff for about a day; after that the event stays failed
 * (`node ace webhooks:list --failed`) until `webhooks:retry` or
 * `stripe:reconcile --fix` applies it.
 */
export default defineJob<{ eventId: number }>({
  name: 'apply_stripe_event',
  description: 'Apply a stored Stripe webhook event',
  queue: { retryLimit: 12, retryDelay: 5, retryBackoff: true, retryDelayMax: 3 * 3600 },
  concurrency: 4,
  // A webhook burst is drained 5 events per fetch (each applies in milliseconds and only once)
  batchSize: 5,
  async handle({ eventId }) {
    const { applyStoredEventOrThrow } = await import('#actions/stripe_events/receive_event')
    await applyStoredEventOrThrow(eventId)
  },
})
