import logger from '@adonisjs/core/services/logger'
import { defineJob } from '#jobs/job'

/** `node ace lines:settle`, every 10 minutes: acceptance expiry and auto-approval */
export default defineJob({
  name: 'settle_lines',
  description: 'Cancel lines never accepted and approve deliveries left unapproved (lines:settle)',
  queue: { retryLimit: 2, retryDelay: 60, expireInSeconds: 30 * 60 },
  schedule: '*/10 * * * *',
  async handle() {
    const { settleLines } = await import('#actions/orders/settle_lines')
    const settlements = await settleLines()
    const failed = settlements.filter((settlement) => settlement.outcome === 'failed')
    if (settlements.length > 0) {
      logger.info(
        {
          settlements: settlements.map(({ lineId, action, outcome }) => ({
            lineId,
            action,
            outcome,
          })),
        },
        `Settled ${settlements.length - failed.length} of ${settlements.length} due line(s)`
      )
    }
    if (failed.length > 0) {
      throw new Error(
        `${failed.length} line(s) could not be settled: ` +
          failed.map((settlement) => `line #${settlement.lineId}: ${settlement.message}`).join('; ')
      )
    }
  },
})
