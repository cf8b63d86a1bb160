import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import app from '@adonisjs/core/services/app'

const run = promisify(execFile)

test.group('node ace', () => {
  test('loads every command from a real terminal', async ({ assert }) => {
    // Commands are imported before the app boots: a top-level import that
    // needs the booted app would break every `node ace` invocation
    const { stdout } = await run(process.execPath, ['ace', 'list'], {
      cwd: app.makePath(),
      env: { ...process.env, NODE_ENV: 'development', FORCE_COLOR: '0' },
    })
    for (const command of ['users:create-admin', 'holds:expire', 'stripe:sandbox']) {
      assert.include(stdout, command)
    }
  }).timeout(60_000)
})
