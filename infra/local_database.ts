/*
|--------------------------------------------------------------------------
| Which PostgreSQL the app talks to
|--------------------------------------------------------------------------
|
| - DATABASE_URL (or DB_HOST...) set: that server, nothing embedded.
| - Tests: TEST_DATABASE_URL when set, never DATABASE_URL (truncating tables
|   between tests must never hit a developer's data).
| - Otherwise: the embedded PostgreSQL under tmp/postgres/<environment>.
|
*/
import { join } from 'node:path'
import { startEmbeddedPostgres, type RunningPostgres } from './embedded_postgres.js'

export type DatabaseEnvironment = 'development' | 'test' | 'production'

export interface DatabaseTarget {
  /** A connection string or connection object for knex/pg */
  connection:
    string | { host: string; port: number; user: string; password?: string; database: string }
  embedded: RunningPostgres | null
}

export function configuredConnection(environment: DatabaseEnvironment) {
  if (environment === 'test') {
    return process.env.TEST_DATABASE_URL || null
  }
  if (process.env.DATABASE_URL) {
    return process.env.DATABASE_URL
  }
  if (process.env.DB_HOST) {
    return {
      host: process.env.DB_HOST,
      port: Number(process.env.DB_PORT || 5432),
      user: process.env.DB_USER || 'postgres',
      password: process.env.DB_PASSWORD,
      database: process.env.DB_DATABASE || 'crewpay',
    }
  }
  return null
}

export async function resolveDatabase(
  appRoot: string,
  environment: DatabaseEnvironment
): Promise<DatabaseTarget> {
  const configured = configuredConnection(environment)
  if (configured) {
    return { connection: configured, embedded: null }
  }
  if (environment === 'production') {
    throw new Error(
      'DATABASE_URL is required in production (the embedded PostgreSQL is for development)'
    )
  }

  const isTest = environment === 'test'
  const embedded = await startEmbeddedPostgres({
    dataDir: join(appRoot, 'tmp', 'postgres', isTest ? 'test' : 'dev'),
    database: isTest ? 'crewpay_test' : 'crewpay',
    preferredPort: Number(process.env.EMBEDDED_DB_PORT || (isTest ? 54339 : 54329)),
    // Test data is thrown away, so durability is not worth the fsyncs
    settings: isTest ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {},
  })
  return {
    connection: {
      host: embedded.host,
      port: embedded.port,
      user: embedded.user,
      password: embedded.password,
      database: embedded.database,
    },
    embedded,
  }
}
