import type { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import type { DevClockConfig } from '#config/dev_clock'
import type { StripeConfig } from '#config/stripe'

/** Whether the development clock panel exists: sandbox mode, never in production */
export function devClockAvailable() {
  return (
    app.config.get<DevClockConfig>('dev_clock').enabled &&
    app.config.get<StripeConfig>('stripe').mode === 'sandbox'
  )
}

/**
 * The sandbox's time for the panel, or null where there is no panel. The
 * clock (and the Stripe SDK behind it) is imported on first use: start/view.ts
 * registers this for every process, `node ace` commands included.
 */
export async function devClockNow(): Promise<DateTime | null> {
  if (!devClockAvailable()) return null
  const { businessNow } = await import('#services/clock')
  return businessNow()
}
