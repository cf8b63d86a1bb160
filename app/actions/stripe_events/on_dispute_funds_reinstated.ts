import type Stripe from 'stripe'
import { actors } from '#domain/actor'
import { followDispute } from '#actions/disputes/record_dispute'

/**
 * charge.dispute.funds_reinstated: the bank gave the money back (a win, or
 * the refunded part of a charge disputed in full). Once the dispute shows
 * as won, the contractors get back what was taken from them.
 */
export default async function onDisputeFundsReinstated(event: Stripe.Event, actor: string) {
  const { id } = event.data.object as Stripe.Dispute
  await followDispute(id, actors.stripe(actor))
}
