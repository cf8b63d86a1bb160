import logger from '@adonisjs/core/services/logger'
import { defineJob } from '#jobs/job'

/** Hourly: every employer has a Stripe Customer (signup queued one; this catches the rest) */
export default defineJob({
  name: 'ensure_stripe_customers',
  description: 'Create the Stripe Customer of employers who have none',
  queue: { retryLimit: 2, retryDelay: 300, expireInSeconds: 30 * 60 },
  schedule: '7 * * * *',
  async handle() {
    const { ensureMissingStripeCustomers } = await import('#actions/users/provision_stripe')
    const { created, failed } = await ensureMissingStripeCustomers()
    if (created > 0) {
      logger.info(`Created ${created} missing Stripe customer(s)`)
    }
    if (failed > 0) {
      throw new Error(`${failed} employer(s) still have no Stripe customer`)
    }
  },
})
