import logger from '@adonisjs/core/services/logger'
import { defineJob } from '#jobs/job'

/** One reminder to the employer of each overdue payment request (at most once per request) */
export default defineJob({
  name: 'remind_overdue_requests',
  description: 'Remind employers of overdue payment requests (once per request)',
  queue: { retryLimit: 2, retryDelay: 60, expireInSeconds: 15 * 60 },
  schedule: '23 * * * *',
  async handle() {
    const { remindOverdueRequests } = await import('#actions/payment_requests/send_link')
    const reminded = await remindOverdueRequests()
    if (reminded > 0) {
      logger.info({ reminded }, `Reminded ${reminded} overdue payment request(s)`)
    }
  },
})
