import db from '@adonisjs/lucid/services/db'

let tables: string[] | null = null

/**
 * Empties every application table. Functional tests use this rather than a
 * global transaction: concurrent requests and row locks must be real.
 */
export async function truncateAllTables() {
  if (!tables) {
    const result = await db.rawQuery(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public'
       AND tablename NOT IN ('adonis_schema', 'adonis_schema_versions')`
    )
    tables = result.rows.map((row: { tablename: string }) => `"${row.tablename}"`)
  }
  if (tables!.length) {
    await db.rawQuery(`TRUNCATE TABLE ${tables!.join(', ')} RESTART IDENTITY CASCADE`)
  }
}
