import logger from '@adonisjs/core/services/logger'
import { defineJob } from '#jobs/job'

/** Disputes' requests younger than this are left to the command that wrote them */
const SETTLE_SECONDS = 60

/** Stripe writes left pending (a timeout, a crash): sent again with their own keys */
export default defineJob({
  name: 'send_pending_writes',
  description: 'Send again the Stripe writes that got no answer (same idempotency keys)',
  queue: { retryLimit: 2, retryDelay: 60, expireInSeconds: 15 * 60 },
  schedule: '*/5 * * * *',
  async handle() {
    const { drivePendingWrites } = await import('#actions/orders/drive_pending')
    let sent = await drivePendingWrites()
    // Disputes: requests to Stripe, then the contractors' shares taken back and given back
    const { sendPendingDisputeActions } = await import('#actions/disputes/dispute_requests')
    const { driveUnsettledDisputes } = await import('#actions/disputes/drive_dispute')
    sent += await sendPendingDisputeActions(new Date(Date.now() - SETTLE_SECONDS * 1000))
    sent += await driveUnsettledDisputes()
    if (sent > 0) {
      logger.info({ sent }, `Sent ${sent} pending Stripe write(s) again`)
    }
  },
})
