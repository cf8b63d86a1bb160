import { test } from '@japa/runner'
import { configuredConnection, resolveDatabase } from '#infra/local_database'

const KEYS = ['DATABASE_URL', 'TEST_DATABASE_URL', 'DB_HOST', 'DB_PORT', 'DB_USER', 'DB_DATABASE']

test.group('Which PostgreSQL the app uses', (group) => {
  group.each.setup(() => {
    const saved = Object.fromEntries(KEYS.map((key) => [key, process.env[key]]))
    for (const key of KEYS) {
      delete process.env[key]
    }
    return () => {
      for (const key of KEYS) {
        if (saved[key] === undefined) {
          delete process.env[key]
        } else {
          process.env[key] = saved[key]
        }
      }
    }
  })

  test('DATABASE_URL is used as is and nothing is embedded', async ({ assert }) => {
    process.env.DATABASE_URL = 'postgres://app:secret@db.internal:5432/crewpay'
    const target = await resolveDatabase('/nonexistent', 'development')
    assert.equal(target.connection, 'postgres://app:secret@db.internal:5432/crewpay')
    assert.isNull(target.embedded)
  })

  test('DB_* variables work too', ({ assert }) => {
    process.env.DB_HOST = 'db.internal'
    process.env.DB_PORT = '6543'
    assert.deepEqual(configuredConnection('development'), {
      host: 'db.internal',
      port: 6543,
      user: 'postgres',
      password: undefined,
      database: 'crewpay',
    })
  })

  test('tests never use DATABASE_URL, only TEST_DATABASE_URL', ({ assert }) => {
    process.env.DATABASE_URL = 'postgres://app@db.internal/crewpay'
    assert.isNull(configuredConnection('test'))
    process.env.TEST_DATABASE_URL = 'postgres://app@db.internal/crewpay_test'
    assert.equal(configuredConnection('test'), 'postgres://app@db.internal/crewpay_test')
  })

  test('production refuses to embed', async ({ assert }) => {
    await assert.rejects(
      () => resolveDatabase('/nonexistent', 'production'),
      /DATABASE_URL is required in production/
    )
  })
})
