import app from '@adonisjs/core/services/app'
import { defineConfig } from '@adonisjs/lucid'
import pg from 'pg'

/**
 * bigint columns hold money in minor units (at most 12 digits): read them as
 * numbers, not strings. Safe: Number.MAX_SAFE_INTEGER has 16 digits.
 */
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10))

/**
 * The connection itself is filled in at boot by the local services provider
 * (providers/local_services_provider.ts): DATABASE_URL, DB_*, or the embedded
 * PostgreSQL. See infra/local_database.ts.
 */
const dbConfig = defineConfig({
  connection: 'postgres',
  prettyPrintDebugQueries: false,
  connections: {
    postgres: {
      client: 'pg',
      connection: {},
      pool: { min: 0, max: app.inTest ? 30 : 10 },
      migrations: {
        naturalSort: true,
        paths: ['database/migrations'],
      },
      seeders: {
        paths: ['database/seeders'],
      },
      // Models declare their columns themselves
      schemaGeneration: { enabled: false },
      debug: false,
    },
  },
})

export default dbConfig
