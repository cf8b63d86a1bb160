import logger from '@adonisjs/core/services/logger'
import { defineJob } from '#jobs/job'

/** A day before an unapproved delivery is settled, its employer is reminded (once) */
export default defineJob({
  name: 'approval_reminders',
  description: 'Remind employers a day before an unapproved delivery is settled automatically',
  queue: { retryLimit: 2, retryDelay: 60, expireInSeconds: 15 * 60 },
  schedule: '*/30 * * * *',
  async handle() {
    const { remindApprovals } = await import('#actions/orders/remind_approvals')
    const reminded = await remindApprovals()
    if (reminded > 0) {
      logger.info({ reminded }, `Reminded ${reminded} employer(s) of deliveries to approve`)
    }
  },
})
