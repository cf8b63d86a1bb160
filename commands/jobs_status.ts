import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import db from '@adonisjs/lucid/services/db'
import { ConsoleCommand } from '#services/console_command'
import { fittedTable } from '#services/console_table'

function when(value: Date | string | null) {
  return value ? new Date(value).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '-'
}

/** Queues, scheduled jobs, their last run and failures; workers; the mail outbox */
export default class JobsStatus extends ConsoleCommand {
  static commandName = 'jobs:status'
  static description = 'Queues and scheduled jobs: backlog, last run, failures; live workers'

  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'JSON instead of tables' })
  declare json: boolean

  @flags.boolean({ description: 'Print every table cell whole, wider than the terminal' })
  declare wide: boolean

  protected async perform() {
    const { queueSnapshot, workerInstances } = await import('#services/queue')
    const { jobs } = await import('#jobs/registry')
    const snapshot = await queueSnapshot()
    const instances = await workerInstances()
    const workers = instances.filter((instance) => instance.live)
    const outbox = await db
      .from('notifications')
      .select('status')
      .count('* as count')
      .groupBy('status')
    const events = await db
      .from('stripe_events')
      .whereNull('processed_at')
      .select(
        db.raw('count(*) FILTER (WHERE processing_error IS NOT NULL)::int AS failed'),
        db.raw('count(*) FILTER (WHERE processing_error IS NULL)::int AS pending')
      )
      .first()

    const queues = snapshot.map((row) => {
      const job = jobs.find((definition) => definition.name === row.queue)!
      return { ...row, description: job.description, schedule: job.schedule ?? null }
    })
    const mail = Object.fromEntries(outbox.map((row) => [row.status, Number(row.count)]))

    if (this.json) {
      this.printJson({
        queues,
        workers: workers.map((worker) => ({
          host: worker.host,
          pid: worker.pid,
          startedOn: worker.startedOn,
          heartbeatOn: worker.heartbeatOn,
        })),
        mail,
        webhookEvents: { pending: events?.pending ?? 0, failed: events?.failed ?? 0 },
      })
      return
    }

    const table = fittedTable(this, this.wide)
    table.head(['Queue', 'Schedule', 'Waiting', 'Running', 'Failed', 'Last run', 'Last failure'])
    for (const row of queues) {
      table.row([
        row.queue,
        row.schedule ?? '-',
        String(row.queued),
        String(row.active),
        String(row.failed),
        when(row.lastCompletedAt ?? row.lastStartedAt),
        row.lastFailedAt || row.lastError
          ? `${when(row.lastFailedAt)} ${row.lastError ?? ''}`.trim()
          : '-',
      ])
    }
    table.render()

    if (workers.length === 0) {
      this.logger.warning('No live worker: start one with `node ace jobs:work` (or `npm run dev`).')
    } else {
      for (const worker of workers) {
        this.logger.info(
          `Worker ${worker.host} pid ${worker.pid}: last heartbeat ${when(worker.heartbeatOn)}`
        )
      }
    }
    this.logger.info(
      `Mail outbox: ${['queued', 'sending', 'sent', 'skipped', 'failed']
        .map((status) => `${mail[status] ?? 0} ${status}`)
        .join(', ')}`
    )
    const failedEvents = events?.failed ?? 0
    const line = `Webhook events not applied: ${events?.pending ?? 0} pending, ${failedEvents} failed`
    if (failedEvents > 0) {
      this.logger.warning(`${line} (node ace webhooks:list --failed)`)
    } else {
      this.logger.info(line)
    }
  }
}
