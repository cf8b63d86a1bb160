import logger from '@adonisjs/core/services/logger'
import { defineJob } from '#jobs/job'

/** `node ace holds:expire`, every 10 minutes */
export default defineJob({
  name: 'settle_holds',
  description: 'Settle card holds a day before Stripe drops them (holds:expire)',
  queue: { retryLimit: 2, retryDelay: 60, expireInSeconds: 30 * 60 },
  schedule: '*/10 * * * *',
  async handle() {
    const { expireHolds } = await import('#actions/holds/expire_holds')
    const decisions = await expireHolds({ actor: 'job:settle_holds' })
    const failed = decisions.filter((decision) => decision.outcome === 'failed')
    if (decisions.length > 0) {
      logger.info(
        {
          decisions: decisions.map(({ orderId, action, outcome }) => ({
            orderId,
            action,
            outcome,
          })),
        },
        `Settled ${decisions.length - failed.length} of ${decisions.length} due hold(s)`
      )
    }
    if (failed.length > 0) {
      throw new Error(
        `${failed.length} hold(s) could not be settled: ` +
          failed.map((decision) => `order #${decision.orderId}: ${decision.message}`).join('; ')
      )
    }
  },
})
