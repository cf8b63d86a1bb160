import app from '@adonisjs/core/services/app'
import type { StripeConfig } from '#config/stripe'

/**
 * The Stripe settings (config/stripe.ts), apart from the client so that
 * reading the mode or the fee defaults does not load the Stripe SDK.
 */
export function stripeConfig(): StripeConfig {
  return app.config.get<StripeConfig>('stripe')
}
