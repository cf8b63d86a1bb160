import { fileURLToPath } from 'node:url'
import type { ApplicationService } from '@adonisjs/core/types'
import { resolveDatabase, type DatabaseTarget } from '#infra/local_database'
import type { SandboxConnection } from '#infra/stripe_sandbox_host'
import type { StripeConfig } from '#config/stripe'

/**
 * Why this process may not use the Stripe sandbox, or null when it may: outside
 * production always; in production only when told explicitly that it is a
 * benchmark (`STRIPE_SANDBOX_IN_PRODUCTION=benchmark`, set by `npm run bench`
 * and nothing else), so a misconfigured deployment never takes fake payments.
 */
export function sandboxRefusal(inProduction: boolean, optIn: string | undefined) {
  if (!inProduction || optIn === 'benchmark') {
    return null
  }
  return 'STRIPE_SECRET_KEY is required in production (the sandbox is for development)'
}

/**
 * Zero-config local services. Listed first in adonisrc.ts so that, before any
 * other provider connects, it points:
 * - the database config at DATABASE_URL or the embedded PostgreSQL;
 * - the Stripe config at the local Stripe sandbox when there is no
 *   STRIPE_SECRET_KEY.
 * On start, a development server also brings its schema up to date.
 */
export default class LocalServicesProvider {
  #database: DatabaseTarget | null = null
  #sandbox: SandboxConnection | null = null

  constructor(protected app: ApplicationService) {}

  get #environment() {
    if (this.app.inTest) {
      return 'test'
    }
    return this.app.inProduction ? 'production' : 'development'
  }

  async boot() {
    const appRoot = fileURLToPath(this.app.appRoot)
    this.#database = await resolveDatabase(appRoot, this.#environment)
    this.app.config.set('database.connections.postgres.connection', this.#database.connection)

    const stripe = this.app.config.get<StripeConfig>('stripe')
    if (stripe.mode === 'sandbox') {
      const { default: env } = await import('#start/env')
      const refusal = sandboxRefusal(this.app.inProduction, env.get('STRIPE_SANDBOX_IN_PRODUCTION'))
      if (refusal) {
        throw new Error(refusal)
      }
      const { connectSandbox } = await import('#infra/stripe_sandbox_host')
      const { appUrl } = await import('#config/app')
      const logger = await this.app.container.make('logger')
      this.#sandbox = await connectSandbox({
        appRoot,
        environment: this.#environment,
        secretKey: stripe.secretKey,
        webhookUrl: new URL('/stripe/webhook', appUrl).href,
        log: (line) => logger.debug(`stripe sandbox: ${line}`),
      })
      const url = new URL(this.#sandbox.url)
      this.app.config.set('stripe.api', {
        host: url.hostname,
        port: Number(url.port),
        protocol: url.protocol.replace(':', ''),
      })
      if (this.#sandbox.webhookSecret) {
        this.app.config.set('stripe.webhookSecrets', [this.#sandbox.webhookSecret])
      }
    }
  }

  async ready() {
    if (this.app.getEnvironment() !== 'web' || !this.app.inDev) {
      return
    }
    const { migrateToLatest } = await import('#infra/migrations')
    await migrateToLatest(this.app)

    // A fresh `npm run dev` gets a living demo marketplace (sandbox only)
    if (this.app.config.get<StripeConfig>('stripe').mode === 'sandbox') {
      const { seedDemoMarketplace } = await import('#actions/demo/seed_demo_marketplace')
      const logger = await this.app.container.make('logger')
      await seedDemoMarketplace((line) => logger.info(line)).catch((error) =>
        logger.error({ err: error }, 'Could not seed the demo marketplace')
      )
    }
  }

  async shutdown() {
    await this.#sandbox?.stop()
    await this.#database?.embedded?.stop()
  }
}
