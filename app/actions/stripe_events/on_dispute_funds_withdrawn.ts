import type Stripe from 'stripe'
import { actors } from '#domain/actor'
import { followDispute } from '#actions/disputes/record_dispute'

/**
 * charge.dispute.funds_withdrawn: the disputed amount and the dispute fee
 * left the platform's balance. Recorded from Stripe's dispute; the
 * contractors concerned then give back their shares (DISPUTE_RECOVERY).
 */
export default async function onDisputeFundsWithdrawn(event: Stripe.Event, actor: string) {
  const { id } = event.data.object as Stripe.Dispute
  await followDispute(id, actors.stripe(actor))
}
