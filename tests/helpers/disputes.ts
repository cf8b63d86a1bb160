import type Stripe from 'stripe'
import type { ApiClient } from '@japa/api-client'
import type Order from '#models/order'
import type User from '#models/user'
import type Service from '#models/service'
import Dispute from '#models/dispute'
import { actors } from '#domain/actor'
import { stripe } from '#stripe/client'
import {
  advanceSandboxClock,
  createActiveContractor,
  createEmployer,
  signedWebhook,
} from '#tests/helpers/stripe'
import { runJobs } from '#tests/helpers/jobs'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { acceptLine } from '#actions/orders/accept_line'
import { deliverLine } from '#actions/orders/deliver_line'
import { approveLines } from '#actions/orders/approve_line'

export const DAY = 86_400

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

/**
 * Money on the platform's available balance (a charge whose funds are
 * available at once), as a live platform has: what a won dispute gives back
 * comes from there, and the test run's other disputes have drawn on it
 */
export async function fundPlatform(amount = 100_000) {
  await stripe().paymentIntents.create({
    amount,
    currency: 'usd',
    payment_method: 'pm_card_bypassPending',
    confirm: true,
    allowed_payment_method_types: ['card'],
  } as Parameters<ReturnType<typeof stripe>['paymentIntents']['create']>[0])
}

/** The contractor accepts and delivers, the employer approves: the line is paid */
export async function completeLine(
  order: Order,
  lineId: number | null,
  contractor: User,
  employer: User
) {
  await acceptLine(order.id, lineId, contractor)
  await deliverLine(order.id, lineId, contractor)
  await approveLines(order.id, lineId, actors.party('employer', employer.id))
}

/**
 * A one-line order (hold flow) paid with a card that is disputed once
 * captured: $120.00, the platform's fee $12.00. The work is approved (the
 * hold captured, the contractor paid $108.00 by the destination charge),
 * then two days pass (the contractor's funds become available).
 */
export async function disputedHoldOrder(card = 'pm_card_createDispute') {
  const contractor = await createActiveContractor({ email: 'carla@example.com' })
  const employer = await createEmployer({ email: 'erin@example.com' }, card)
  const service = await createService(contractor, { price: 12000 })
  const order = await placeTestOrder(employer, service)
  await completeLine(order, null, contractor, employer)
  await advanceSandboxClock(2 * DAY + 60)
  await fundPlatform()
  const { payment, transfers, line } = await stateOf(order)
  return { contractor, employer, order, payment, transfers, line }
}

/**
 * A two-contractor order (charge flow, captured at once): Carla's $70.00
 * line approved and paid ($63.00 transferred), Olga's $50.00 line still
 * waiting; two days pass. Then the employer's bank disputes `amount` of the
 * charge.
 */
export async function disputedLineOfChargeOrder(amount = 7000, daysAfterPaying = 2) {
  const carla = await createActiveContractor({ email: 'carla@example.com' })
  const olga = await createActiveContractor({ email: 'olga@example.com' })
  const employer = await createEmployer({ email: 'erin@example.com' })
  const services: [Service, Service] = [
    await createService(carla, { title: 'Kitchen repaint', price: 7000 }),
    await createService(olga, { title: 'Garden fence', price: 5000 }),
  ]
  const order = await placeTestOrder(employer, services)
  const {
    lines: [paid, waiting],
  } = await stateOf(order)
  await completeLine(order, paid.id, carla, employer)
  if (daysAfterPaying) {
    await advanceSandboxClock(daysAfterPaying * DAY + 60)
  }
  await fundPlatform()
  const { payment, transfers } = await stateOf(order)
  const onStripe = await openSandboxDispute(payment.stripeChargeId!, { amount })
  return { carla, olga, employer, order, paid, waiting, payment, transfers, onStripe }
}
