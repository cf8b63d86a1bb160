import { test } from '@japa/runner'
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { fileURLToPath } from 'node:url'
import { isAlive } from '../../infra/file_lock.js'
import { connectSandbox } from '../../infra/stripe_sandbox_host.js'
import { startSandboxProcess } from '../../stripe_sandbox/process.js'
import { clientFor, newKey } from './helpers.js'

/* The sandbox as the app starts it: in a child process that never outlives its parent. */

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 200 && isAlive(pid); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return !isAlive(pid)
}

function savedIds(file: string): string[] {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const rows = db.prepare('SELECT id FROM records').all() as Array<{ id: string }>
    return rows.map((row) => row.id)
  } finally {
    db.close()
  }
}

test.group('Sandbox process', (group) => {
  let dir: string
  group.each.setup(() => {
    dir = mkdtempSync(join(tmpdir(), 'stripe-sandbox-host-'))
    return () => rmSync(dir, { recursive: true, force: true })
  })

  test('runs in its own process, serves the SDK, saves its state and exits on stop()', async ({
    assert,
  }) => {
    const stateFile = join(dir, 'state.db')
    const lines: string[] = []
    const sandbox = await startSandboxProcess({
      port: 0,
      stateFile,
      log: (line) => lines.push(line),
    })
    assert.notEqual(sandbox.pid, process.pid)
    assert.isTrue(isAlive(sandbox.pid))
    const customer = await clientFor(sandbox.port, newKey()).customers.create({ name: 'child' })
    const stats = await sandbox.stats()
    assert.isAtLeast(stats.objects, 2)
    assert.isAbove(stats.memory.heapUsed, 0)
    await sandbox.stop()
    assert.isFalse(isAlive(sandbox.pid))
    assert.include(savedIds(stateFile), customer.id)
    // The request log came across, batched.
    assert.isTrue(lines.some((line) => line.startsWith('POST /v1/customers 200')))
  })

  test('the child goes away when its parent is killed, and saves its state first', async ({
    assert,
  }) => {
    const stateFile = join(dir, 'state.db')
    const fixture = fileURLToPath(new URL('./fixtures/sandbox_parent.ts', import.meta.url))
    const parent: ChildProcess = spawn(
      process.execPath,
      [`--import=${import.meta.resolve('@poppinss/ts-exec')}`, fixture, stateFile],
      { stdio: ['ignore', 'pipe', 'inherit'] }
    )
    try {
      const first = await new Promise<string>((resolve, reject) => {
        let out = ''
        parent.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8')
          if (out.includes('\n')) {
            resolve(out.split('\n')[0])
          }
        })
        parent.once('exit', (code) => reject(new Error(`parent exited (${code})`)))
      })
      const child = JSON.parse(first) as { pid: number; url: string }
      assert.isTrue(isAlive(child.pid))
      const port = Number(new URL(child.url).port)
      const customer = await clientFor(port, newKey()).customers.create({ name: 'orphan?' })

      parent.kill('SIGKILL')
      assert.isTrue(await gone(child.pid), 'the sandbox child outlived its parent')
      assert.include(savedIds(stateFile), customer.id)
    } finally {
      parent.kill('SIGKILL')
    }
  })

  test('connectSandbox: zero-config start, discovery through server.json, clean stop', async ({
    assert,
  }) => {
    const options = {
      appRoot: dir,
      environment: 'development' as const,
      secretKey: 'sk_test_crewpay_sandbox',
      webhookUrl: 'http://127.0.0.1:9/stripe/webhook',
      log: () => {},
    }
    const serverFile = join(dir, 'tmp', 'stripe-sandbox', 'server.json')
    const first = await connectSandbox(options)
    const second = await connectSandbox(options)
    let customerId = ''
    try {
      assert.isNotNull(first.sandbox)
      assert.match(first.webhookSecret ?? '', /^whsec_/)
      const running = JSON.parse(readFileSync(serverFile, 'utf8'))
      assert.deepEqual(running, { pid: first.sandbox!.pid, url: first.url })
      // A second process (an ace command) finds the running one instead of starting its own.
      assert.isNull(second.sandbox)
      assert.equal(second.url, first.url)
      assert.equal(second.webhookSecret, first.webhookSecret)
      const port = Number(new URL(second.url).port)
      const customer = await clientFor(port, options.secretKey).customers.create({ name: 'kept' })
      customerId = customer.id
    } finally {
      await second.stop()
      await first.stop()
    }
    assert.isFalse(existsSync(serverFile))
    assert.isTrue(await gone(first.sandbox!.pid))

    // Started again, it has kept its state.
    const third = await connectSandbox(options)
    try {
      const port = Number(new URL(third.url).port)
      const kept = await clientFor(port, options.secretKey).customers.retrieve(customerId)
      assert.equal(kept.id, customerId)
    } finally {
      await third.stop()
    }
  })
})
