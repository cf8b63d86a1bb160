import Stripe from 'stripe'
import app from '@adonisjs/core/services/app'
import type { StripeConfig } from '#config/stripe'
import { instrumentedHttpClient } from '#services/stripe_instrumentation'

let client: Stripe | null = null
let builtFor: string | null = null

/**
 * The one Stripe client of the app, built from config/stripe.ts: real Stripe,
 * or the local sandbox (same SDK, pointed at it with host/port/protocol).
 */
export function stripe(): Stripe {
  const config = app.config.get<StripeConfig>('stripe')
  const signature = JSON.stringify([config.secretKey, config.api])
  if (!client || builtFor !== signature) {
    client = new Stripe(config.secretKey, {
      maxNetworkRetries: 2,
      timeout: 20_000,
      telemetry: false,
      appInfo: { name: 'Crewpay' },
      // Metrics and log lines per call (request id, idempotency key, outcome)
      httpClient: instrumentedHttpClient(),
      ...(config.api ?? {}),
    })
    builtFor = signature
  }
  return client
}

export { stripeConfig } from '#stripe/settings'
