import type Stripe from 'stripe'
import type { ApiClient } from '@japa/api-client'
import type Order from '#models/order'
import Dispute from '#models/dispute'
import { stripe } from '#stripe/client'
import { signedWebhook } from '#tests/helpers/stripe'
import { runJobs } from '#tests/helpers/jobs'

/** A Stripe dispute as the sandbox has it: by charge (the newest on it) */
export async function stripeDisputeOf(chargeId: string) {
  const list = await stripe().disputes.list({ charge: chargeId, limit: 10 })
  const [dispute] = list.data
  if (!dispute) {
    throw new Error(`No dispute on ${chargeId}`)
  }
  return dispute
}

/** Opens a dispute on a captured charge, as a dispute test card would (sandbox control) */
export async function openSandboxDispute(
  chargeId: string,
  params: { amount?: number; reason?: string; test_payment_method?: string } = {}
) {
  const dispute = await stripe().rawRequest('POST', '/v1/test_helpers/sandbox/disputes', {
    charge: chargeId,
    ...params,
  })
  return dispute as unknown as Stripe.Dispute
}

/** Rules on an open dispute now (sandbox control) */
export async function decideSandboxDispute(disputeId: string, outcome: 'won' | 'lost') {
  await stripe().rawRequest('POST', `/v1/test_helpers/sandbox/disputes/${disputeId}/decide`, {
    outcome,
  })
}

/** The sandbox's events about a dispute, oldest first (optionally those not in `seen`) */
export async function disputeEvents(disputeId: string, seen: Set<string> = new Set()) {
  const events = await stripe().events.list({ type: 'charge.dispute.*', limit: 100 })
  return events.data
    .filter((event) => (event.data.object as { id: string }).id === disputeId)
    .filter((event) => !seen.has(event.id))
    .reverse()
}

/** Posts an event to the webhook as Stripe does, then lets the job apply it */
export async function deliver(client: ApiClient, event: Stripe.Event) {
  const { payload, signature } = signedWebhook(
    event as unknown as Parameters<typeof signedWebhook>[0]
  )
  const response = await client
    .post('/stripe/webhook')
    .header('stripe-signature', signature)
    .header('content-type', 'application/json')
    .json(JSON.parse(payload))
  response.assertStatus(200)
  await runJobs(['apply_stripe_event'])
  return response
}

/**
 * Delivers the dispute's events not delivered yet (all of them, in the
 * order Stripe emitted them); returns their types
 */
export async function deliverNewEvents(client: ApiClient, disputeId: string, seen: Set<string>) {
  const events = await disputeEvents(disputeId, seen)
  for (const event of events) {
    seen.add(event.id)
    await deliver(client, event)
  }
  return events.map((event) => event.type)
}

/** The order's dispute as the database has it now, with its lines */
export async function disputeOfOrder(order: Order) {
  return Dispute.query().where('orderId', order.id).preload('lines').firstOrFail()
}
