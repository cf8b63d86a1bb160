import type Stripe from 'stripe'
import { actors } from '#domain/actor'
import { followDispute } from '#actions/disputes/record_dispute'

/**
 * charge.dispute.created: a chargeback or an inquiry on one of our charges.
 * The dispute is recorded as Stripe has it now (the payment flagged, the
 * lines it concerns, their contractors told); what the event says is not
 * trusted over a fresh read (events come in any order).
 */
export default async function onDisputeCreated(event: Stripe.Event, actor: string) {
  const { id } = event.data.object as Stripe.Dispute
  await followDispute(id, actors.stripe(actor))
}
