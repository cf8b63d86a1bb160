import type { ApplicationService } from '@adonisjs/core/types'
import { MigrationRunner } from '@adonisjs/lucid/migration'

/** Runs pending migrations (under Lucid's advisory lock, so concurrent starts are safe) */
export async function migrateToLatest(app: ApplicationService) {
  const db = await app.container.make('lucid.db')
  const runner = new MigrationRunner(db, app, { direction: 'up', dryRun: false })
  await runner.run()
  if (runner.error) {
    throw runner.error
  }
  return Object.values(runner.migratedFiles).filter((file) => file.status === 'completed').length
}
