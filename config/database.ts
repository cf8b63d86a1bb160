import app from '@adonisjs/core/services/app'
import { defineConfig } from '@adonisjs/lucid'
import pg from 'pg'
import env from '#start/env'

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
      /*
       * 10 per app process (DB_POOL_MAX to change it). Placing an order holds a
       * connection only for its two short transactions, never while Stripe
       * answers (app/stripe/write.ts): 22 statements in all. Measured with 50
       * concurrent POST /orders (issue 18), 10 and 20 gave the same orders/s:
       * the connections sat idle in ClientRead, waiting for the Node process,
       * not the other way round; one process is CPU-bound long before 10
       * connections are. Several processes (cluster) share PostgreSQL's
       * max_connections (100 by default): processes × 10 must stay below it.
       */
      pool: { min: 0, max: app.inTest ? 30 : env.get('DB_POOL_MAX', 10) },
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
