import type { DateTime } from 'luxon'
import StripeEvent from '#models/stripe_event'
import { DomainError } from '#exceptions/domain_error'
import { stripe } from '#stripe/client'
import { devClockAvailable } from '#services/dev_clock'
import { businessNow, forgetClock } from '#services/clock'
import { processStoredEvent } from '#actions/stripe_events/receive_event'
import { followDueBankPayments } from '#actions/payments/follow_bank_payments'
import { expireHolds } from '#actions/holds/expire_holds'
import { settleLines } from '#actions/orders/settle_lines'

/*
| The development clock panel: moves the Stripe sandbox's clock forward by an
| hour, a day or a week, then runs at once what became due, so a person sees
| the effect in a minute: webhook events received and not applied yet are
| applied, bank debits past their expected date are followed on Stripe, holds
| about to expire are settled, lines are settled (acceptance expiry,
| auto-approval). Sandbox mode only, never in production.
*/

export const CLOCK_STEPS = { hour: 3600, day: 86_400, week: 7 * 86_400 } as const
export type ClockStep = keyof typeof CLOCK_STEPS

/** The most stored events applied by one click (the worker applies the rest) */
const EVENTS_PER_ADVANCE = 500

export interface ClockAdvance {
  now: DateTime
  eventsApplied: number
  bankPaymentsFollowed: number
  holdsSettled: number
  linesSettled: number
}

export async function advanceDevClock(step: ClockStep, actor: string): Promise<ClockAdvance> {
  if (!devClockAvailable()) {
    throw DomainError.notFound('Not found.')
  }
  await stripe().rawRequest('POST', '/v1/test_helpers/sandbox/advance_clock', {
    seconds: CLOCK_STEPS[step],
  })
  forgetClock()

  let eventsApplied = 0
  const events = await StripeEvent.query()
    .whereNull('processedAt')
    .orderBy('id')
    .limit(EVENTS_PER_ADVANCE)
  for (const event of events) {
    const { applied } = await processStoredEvent(event)
    eventsApplied += applied ? 1 : 0
  }
  const followed = await followDueBankPayments({ actor })
  const holds = await expireHolds({ actor })
  const lines = await settleLines()
  return {
    now: await businessNow(),
    eventsApplied,
    bankPaymentsFollowed: followed.filter((payment) => payment.outcome === 'followed').length,
    holdsSettled: holds.filter((decision) => decision.outcome === 'done').length,
    linesSettled: lines.filter((settlement) => settlement.outcome === 'done').length,
  }
}
