import type { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import type { DevClockConfig } from '#config/dev_clock'
import { stripeConfig } from '#stripe/client'
import { businessNow } from '#services/clock'

/** Whether the development clock panel exists: sandbox mode, never in production */
export function devClockAvailable() {
  return app.config.get<DevClockConfig>('dev_clock').enabled && stripeConfig().mode === 'sandbox'
}

/** The sandbox's time for the panel, or null where there is no panel */
export async function devClockNow(): Promise<DateTime | null> {
  return devClockAvailable() ? businessNow() : null
}
