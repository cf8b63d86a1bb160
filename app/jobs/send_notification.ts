import { defineJob } from '#jobs/job'

/** Sends one message of the outbox (after the transaction that wrote it committed) */
export default defineJob<{ notificationId: number }>({
  name: 'send_notification',
  description: 'Send an email from the outbox',
  queue: { retryLimit: 8, retryDelay: 10, retryBackoff: true, retryDelayMax: 3600 },
  concurrency: 2,
  async handle({ notificationId }, run) {
    const { sendNotification } = await import('#mails/notify')
    await sendNotification(notificationId, run.retryCount)
  },
})
