import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import { freePort } from '#infra/net'
import { testDatabaseUrl, testSandboxUrl } from '#tests/helpers/ace_process'

interface Started {
  host: string
  port: number
}

/**
 * Starts the real HTTP server entry point (bin/server.ts) as `npm start`
 * would, with `env`; resolves with where it says it listens (the message it
 * sends its parent, as it does to the dev server), then stops it.
 */
async function startServer(env: Record<string, string>) {
  const inherited: Record<string, string | undefined> = { ...process.env }
  // bin/test.ts sets HOST for the test run; the child must see only what we give it
  delete inherited.HOST
  delete inherited.APP_KEY
  delete inherited.LOG_LEVEL
  const port = await freePort()
  const child = spawn(process.execPath, ['--import=@poppinss/ts-exec', 'bin/server.ts'], {
    cwd: app.makePath(),
    env: {
      ...inherited,
      NODE_ENV: 'test',
      PORT: String(port),
      TEST_DATABASE_URL: testDatabaseUrl(),
      STRIPE_SANDBOX_URL: testSandboxUrl(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  try {
    const started = await new Promise<Started>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start within 60 s: ${output}`)), 60_000)
      child.on('message', (message: { isAdonisJS?: boolean; host?: string; port?: number }) => {
        if (message?.isAdonisJS && message.host) {
          clearTimeout(timer)
          resolve({ host: message.host, port: Number(message.port) })
        }
      })
      child.on('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`server exited with ${code}: ${output}`))
      })
    })
    return { ...started, listening: listeningAddresses(started.port) }
  } finally {
    child.removeAllListeners('exit')
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
}

/** Local addresses (hex, as /proc/net shows them) of the TCP sockets listening on `port` */
function listeningAddresses(port: number) {
  const found: string[] = []
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) {
      continue
    }
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      // local_address is ADDR:PORT in hex; state 0A is LISTEN
      const [address, hexPort] = (fields[1] ?? '').split(':')
      if (fields[3] === '0A' && Number.parseInt(hexPort, 16) === port) {
        found.push(address)
      }
    }
  }
  return found
}

const LOOPBACK = ['0100007F', '00000000000000000000000001000000']
const EVERY_INTERFACE = ['00000000', '00000000000000000000000000000000']

test.group('Where the HTTP server listens', () => {
  test('without HOST it listens on localhost only, as the README says', async ({ assert }) => {
    const started = await startServer({})
    assert.equal(started.host, 'localhost')
    assert.isNotEmpty(started.listening)
    for (const address of started.listening) {
      assert.include(LOOPBACK, address)
      assert.notInclude(EVERY_INTERFACE, address)
    }
  }).timeout(90_000)

  test('HOST chooses the address', async ({ assert }) => {
    const started = await startServer({ HOST: '127.0.0.1' })
    assert.equal(started.host, '127.0.0.1')
    assert.deepEqual(started.listening, ['0100007F'])
  }).timeout(90_000)
})
