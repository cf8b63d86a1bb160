import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/**
 * A worker: runs every queue's jobs and the scheduled ones until stopped
 * (Ctrl-C or SIGTERM finish the jobs in hand first). Run as many as needed,
 * on as many machines: each job runs once. --once runs what is queued now
 * and exits (for a cron-driven setup).
 */
export default class JobsWork extends BaseCommand {
  static commandName = 'jobs:work'
  static description = 'Run background jobs (webhook events, mail, scheduled work) until stopped'

  static options: CommandOptions = { startApp: true, staysAlive: true }

  @flags.boolean({ description: 'Run the jobs queued now, then exit' })
  declare once: boolean

  @flags.number({ description: "Serve this worker's GET /metrics on this port (Prometheus)" })
  declare metricsPort?: number

  async run() {
    const { runQueuedJobs, startWorker } = await import('#services/queue')
    const { mailUnconfigured } = await import('#config/mail')
    if (mailUnconfigured) {
      const { useMailCatcher } = await import('#providers/jobs_provider')
      const catcher = await useMailCatcher()
      this.app.terminating(() => catcher.stop())
      this.logger.info(`Mail catcher: read the mail at ${catcher.webUrl}`)
    }

    if (this.once) {
      const result = await runQueuedJobs()
      this.logger.info(`${result.ran} job(s) run, ${result.failed} failed`)
      for (const error of result.errors) {
        this.logger.error(error)
      }
      this.exitCode = result.failed > 0 ? 1 : 0
      await this.app.terminate()
      return
    }

    await startWorker()
    if (this.metricsPort !== undefined) {
      const { startMetricsServer } = await import('#services/metrics_server')
      const server = await startMetricsServer(this.metricsPort)
      this.app.terminating(() => server.close())
      this.logger.info(`Metrics: http://localhost:${server.port}/metrics`)
    }
    this.logger.info('Working. Ctrl-C stops after the jobs in hand.')
    process.once('SIGINT', () => void this.app.terminate())
  }
}
