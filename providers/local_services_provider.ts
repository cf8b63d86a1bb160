import { fileURLToPath } from 'node:url'
import type { ApplicationService } from '@adonisjs/core/types'
import { resolveDatabase, type DatabaseTarget } from '#infra/local_database'

/**
 * Points the app at its PostgreSQL before Lucid connects (this provider is
 * listed first, and Lucid reads its config lazily in its own boot), and
 * brings a development server's schema up to date on start.
 */
export default class LocalServicesProvider {
  #database: DatabaseTarget | null = null

  constructor(protected app: ApplicationService) {}

  get #environment() {
    if (this.app.inTest) {
      return 'test'
    }
    return this.app.inProduction ? 'production' : 'development'
  }

  async boot() {
    this.#database = await resolveDatabase(fileURLToPath(this.app.appRoot), this.#environment)
    this.app.config.set('database.connections.postgres.connection', this.#database.connection)
  }

  async ready() {
    if (this.app.getEnvironment() === 'web' && !this.app.inProduction) {
      const { migrateToLatest } = await import('#infra/migrations')
      await migrateToLatest(this.app)
    }
  }

  async shutdown() {
    await this.#database?.embedded?.stop()
  }
}
