import type { ApplicationService } from '@adonisjs/core/types'
import type { MailCatcher } from '#infra/mail_catcher'

/**
 * Background work in the app's processes.
 * - Any process queues jobs (pg-boss starts on first use) and stops the
 *   queue when it ends, so no test or command is left hanging.
 * - The development server is also a worker (JOBS_IN_PROCESS=false turns
 *   that off) and, with no mail configuration, starts the mail catcher and
 *   prints where to read the mail.
 * Production runs workers with `node ace jobs:work`.
 */
export default class JobsProvider {
  #catcher: MailCatcher | null = null

  constructor(protected app: ApplicationService) {}

  async ready() {
    if (this.app.getEnvironment() !== 'web' || !this.app.inDev) {
      return
    }
    const { default: env } = await import('#start/env')
    const logger = await this.app.container.make('logger')
    const { mailUnconfigured } = await import('#config/mail')
    if (mailUnconfigured) {
      this.#catcher = await useMailCatcher()
      logger.info(`Mail catcher: read the mail at ${this.#catcher.webUrl}`)
    }
    if (env.get('JOBS_IN_PROCESS', true)) {
      const { startWorker } = await import('#services/queue')
      await startWorker()
    }
  }

  async shutdown() {
    // Loads pg-boss only if this process used the queue
    const { stopQueueIfLoaded } = await import('#services/queue_stopper')
    await stopQueueIfLoaded()
    await this.#catcher?.stop()
  }
}

/**
 * Starts (or reuses) the mail catcher and points the SMTP mailer at it.
 * Also used by `node ace jobs:work` in development.
 */
export async function useMailCatcher() {
  const { default: env } = await import('#start/env')
  const { startMailCatcher } = await import('#infra/mail_catcher')
  const { smtpConnection } = await import('#config/mail')
  const catcher = await startMailCatcher({
    smtpPort: env.get('MAIL_CATCHER_SMTP_PORT', 1025),
    webPort: env.get('MAIL_CATCHER_WEB_PORT', 1080),
  })
  smtpConnection.host = '127.0.0.1'
  smtpConnection.port = catcher.smtpPort
  return catcher
}
