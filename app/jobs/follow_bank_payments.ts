import logger from '@adonisjs/core/services/logger'
import { defineJob } from '#jobs/job'

/** Every 15 minutes: bank debits past their expected date, looked up on Stripe */
export default defineJob({
  name: 'follow_bank_payments',
  description: 'Follow bank debits still processing after their expected date (poll Stripe)',
  queue: { retryLimit: 2, retryDelay: 60, expireInSeconds: 15 * 60 },
  schedule: '*/15 * * * *',
  async handle() {
    const { followDueBankPayments } = await import('#actions/payments/follow_bank_payments')
    const followed = await followDueBankPayments()
    const failed = followed.filter((payment) => payment.outcome === 'failed')
    if (followed.length > 0) {
      logger.info(
        { payments: followed.map(({ paymentId, status }) => ({ paymentId, status })) },
        `Followed ${followed.length - failed.length} of ${followed.length} processing bank payment(s)`
      )
    }
    if (failed.length > 0) {
      throw new Error(
        `${failed.length} bank payment(s) could not be followed: ` +
          failed.map((payment) => `payment #${payment.paymentId}: ${payment.message}`).join('; ')
      )
    }
  },
})
