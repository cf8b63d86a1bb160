import logger from '@adonisjs/core/services/logger'
import { defineJob } from '#jobs/job'

/** Stripe writes left pending (a timeout, a crash): sent again with their own keys */
export default defineJob({
  name: 'send_pending_writes',
  description: 'Send again the Stripe writes that got no answer (same idempotency keys)',
  queue: { retryLimit: 2, retryDelay: 60, expireInSeconds: 15 * 60 },
  schedule: '*/5 * * * *',
  async handle() {
    const { drivePendingWrites } = await import('#actions/orders/drive_pending')
    const sent = await drivePendingWrites()
    if (sent > 0) {
      logger.info({ sent }, `Sent ${sent} pending Stripe write(s) again`)
    }
  },
})
