import ace from '@adonisjs/core/services/ace'
import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import StripeSandboxCommand from '../../commands/stripe_sandbox.js'
import { type Sandbox } from '../../stripe_sandbox/index.js'
import { clientFor, newKey } from './helpers.js'

test.group('node ace stripe:sandbox', (group) => {
  group.each.setup(() => {
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('starts the sandbox, prints its URL, serves requests and flushes the state file on stop', async ({
    assert,
  }) => {
    const file = join(tmpdir(), `stripe-sandbox-command-${randomBytes(6).toString('hex')}.json`)
    let served: string | null = null
    // Stand-in for SIGTERM: make one request, then let the command stop.
    class Probe extends StripeSandboxCommand {
      protected async untilStopped(sandbox: Sandbox) {
        const customer = await clientFor(sandbox.port, newKey()).customers.create({ name: 'ace' })
        served = customer.id
      }
    }
    try {
      const command = await ace.create(Probe, [
        '--port=0',
        `--state-file=${file}`,
        '--webhook-url=http://127.0.0.1:9/stripe/webhook',
        '--webhook-secret=whsec_from_flag',
      ])
      await command.exec()
      command.assertSucceeded()
      command.assertLogMatches(/Stripe sandbox listening on http:\/\/127\.0\.0\.1:\d+/)
      command.assertLogMatches(/whsec_from_flag/)
      assert.match(served ?? '', /^cus_/)
      assert.isTrue(existsSync(file))
      assert.include(readFileSync(file, 'utf8'), served!)
    } finally {
      rmSync(file, { force: true })
    }
  })
})
