import type Stripe from 'stripe'
import { actors } from '#domain/actor'
import { followDispute } from '#actions/disputes/record_dispute'

/**
 * charge.dispute.updated: evidence staged or submitted (here or on Stripe's
 * Dashboard), an inquiry escalated: the dispute follows Stripe's, forward only.
 */
export default async function onDisputeUpdated(event: Stripe.Event, actor: string) {
  const { id } = event.data.object as Stripe.Dispute
  await followDispute(id, actors.stripe(actor))
}
