import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { randomBytes } from 'node:crypto'
import { type Sandbox, type SandboxOptions, startSandbox } from '../stripe_sandbox/index.js'

/**
 * Runs the local Stripe sandbox in the foreground until SIGINT/SIGTERM.
 * Point the stripe SDK at the printed URL (host/port/protocol options).
 * This process is the sandbox's own, so it runs in it directly (the dev
 * server and other commands start it in a child process instead).
 */
export default class StripeSandbox extends BaseCommand {
  static commandName = 'stripe:sandbox'
  static description = 'Run the local Stripe sandbox (a stateful Stripe API emulator)'
  static options: CommandOptions = { startApp: false, staysAlive: true }

  @flags.number({ description: 'Port to listen on (0 = any free port)', default: 12111 })
  declare port: number

  @flags.string({ description: 'Interface to bind', default: '127.0.0.1' })
  declare host: string

  @flags.string({ description: 'Persist state in this SQLite file across restarts' })
  declare stateFile?: string

  @flags.string({ description: 'Default webhook endpoint (env STRIPE_SANDBOX_WEBHOOK_URL)' })
  declare webhookUrl?: string

  @flags.string({
    description: 'Signing secret of that endpoint (env STRIPE_SANDBOX_WEBHOOK_SECRET)',
  })
  declare webhookSecret?: string

  @flags.number({ description: 'Webhook deliveries in flight per endpoint', default: 16 })
  declare webhookConcurrency: number

  @flags.number({ description: 'Events kept (oldest dropped first)', default: 20_000 })
  declare maxEvents: number

  async run() {
    const webhookUrl = this.webhookUrl ?? process.env.STRIPE_SANDBOX_WEBHOOK_URL
    let webhookSecret = this.webhookSecret ?? process.env.STRIPE_SANDBOX_WEBHOOK_SECRET
    const options: SandboxOptions = {
      port: this.port,
      host: this.host,
      stateFile: this.stateFile,
      webhookConcurrency: this.webhookConcurrency,
      maxEvents: this.maxEvents,
      log: (line) => this.logger.log(line),
    }
    if (webhookUrl) {
      webhookSecret ??= `whsec_${randomBytes(24).toString('hex')}`
      // One endpoint for platform events and one for connected-account events, same URL.
      options.webhookEndpoints = [
        { url: webhookUrl, secret: webhookSecret },
        { url: webhookUrl, secret: webhookSecret, connect: true },
      ]
    }
    const sandbox = await startSandbox(options)
    this.logger.success(`Stripe sandbox listening on ${sandbox.url}`)
    if (this.stateFile) {
      this.logger.info(`state file: ${this.stateFile}`)
    }
    if (webhookUrl) {
      this.logger.info(`webhooks → ${webhookUrl} (signing secret ${webhookSecret})`)
    }
    await this.untilStopped(sandbox)
    this.logger.info('stopping the Stripe sandbox…')
    await sandbox.stop()
    await this.terminate()
  }

  /** Resolves on SIGINT or SIGTERM (tests override it to stop on their own terms). */
  protected untilStopped(_sandbox: Sandbox): Promise<void> {
    return new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        resolve()
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    })
  }
}
