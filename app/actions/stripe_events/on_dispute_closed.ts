import type Stripe from 'stripe'
import { actors } from '#domain/actor'
import { followDispute } from '#actions/disputes/record_dispute'

/**
 * charge.dispute.closed: won, lost, or an inquiry closed without a
 * chargeback. The outcome is recorded from Stripe's dispute, the contractors
 * concerned are told, and their shares follow it (given back when won).
 */
export default async function onDisputeClosed(event: Stripe.Event, actor: string) {
  const { id } = event.data.object as Stripe.Dispute
  await followDispute(id, actors.stripe(actor))
}
