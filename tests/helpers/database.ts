import db from '@adonisjs/lucid/services/db'

let tables: string[] | null = null

/**
 * Empties every application table, and the job queue (pgboss.job) once it
 * exists. Functional tests use this rather than a global transaction:
 * concurrent requests and row locks must be real.
 */
export async function truncateAllTables() {
  if (!tables) {
    const result = await db.rawQuery(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public'
       AND tablename NOT IN ('adonis_schema', 'adonis_schema_versions')`
    )
    tables = result.rows.map((row: { tablename: string }) => `"${row.tablename}"`)
  }
  const queue = await db.rawQuery(`SELECT to_regclass('pgboss.job') AS job`)
  const all = queue.rows[0]?.job ? [...tables!, 'pgboss.job'] : tables!
  if (all.length) {
    await db.rawQuery(`TRUNCATE TABLE ${all.join(', ')} RESTART IDENTITY CASCADE`)
  }
}
