import { DateTime } from 'luxon'
import { stripe, stripeConfig } from '#stripe/client'
import { moneyMovedFor } from '#services/balance_copies'

/*
| Crewpay's "now" for time-based money decisions (holds settled before they
| expire, lines never accepted, auto-approval): real time with real Stripe;
| in sandbox mode, the sandbox's clock, which tests and the development panel
| move forward, so a person can watch a hold expire or a bank payment clear
| in a minute. Timestamps written to rows stay real time.
*/

let cached: { offsetSeconds: number; readAt: number } | null = null

/** How far the sandbox clock is ahead of real time (0 with real Stripe) */
export async function clockOffsetSeconds(): Promise<number> {
  if (stripeConfig().mode !== 'sandbox') {
    return 0
  }
  if (cached && Date.now() - cached.readAt < 1000) {
    return cached.offsetSeconds
  }
  try {
    const clock = (await stripe().rawRequest(
      'GET',
      '/v1/test_helpers/sandbox/clock',
      {}
    )) as unknown as {
      offset: number
    }
    cached = { offsetSeconds: Number(clock.offset) || 0, readAt: Date.now() }
  } catch {
    // The sandbox not answering: the last offset known, or real time
  }
  return cached?.offsetSeconds ?? 0
}

/** The moment money decisions are taken at */
export async function businessNow(): Promise<DateTime> {
  return DateTime.now().plus({ seconds: await clockOffsetSeconds() })
}

/**
 * Forget the cached offset (after the clock was moved), and the balances
 * kept from Stripe: moving time makes pending funds available
 */
export function forgetClock() {
  cached = null
  moneyMovedFor(null)
}
