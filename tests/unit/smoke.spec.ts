import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'

test('database is reachable', async ({ assert }) => {
  const result = await db.rawQuery('select 1 as one')
  assert.equal(result.rows[0].one, 1)
})
