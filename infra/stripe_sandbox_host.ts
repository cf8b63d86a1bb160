/*
|--------------------------------------------------------------------------
| Which Stripe sandbox the app talks to (when there is no STRIPE_SECRET_KEY)
|--------------------------------------------------------------------------
|
| - STRIPE_SANDBOX_URL set: that one (e.g. `node ace stripe:sandbox`).
| - Tests: a fresh in-memory sandbox per run, on a free port.
| - Otherwise: the one this project already runs (tmp/stripe-sandbox/server.json,
|   written by whoever started it: the dev server or an ace command), or a new
|   one with its state in tmp/stripe-sandbox/state.db, so Stripe ids saved in
|   the database stay valid across restarts.
|
| A sandbox started here runs in a child process: its work never blocks this
| process' event loop, and it exits with this process (see stripe_sandbox/child.ts).
|
*/
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type SandboxProcess, startSandboxProcess } from '../stripe_sandbox/process.js'
import { isAlive, withFileLock } from './file_lock.js'
import { freePort, isPortFree } from './net.js'

export interface SandboxConnection {
  url: string
  /** The sandbox child process when this process started it */
  sandbox: SandboxProcess | null
  webhookSecret: string | null
  stop(): Promise<void>
}

/** Signing secret of the test run's webhook endpoints */
export const TEST_WEBHOOK_SECRET = 'whsec_crewpay_test_suite'

async function reachable(url: string, secretKey: string) {
  try {
    const response = await fetch(new URL('/v1/account', url), {
      headers: { Authorization: `Bearer ${secretKey}` },
      signal: AbortSignal.timeout(2000),
    })
    return response.ok
  } catch {
    return false
  }
}

async function webhookSecret(stateDir: string) {
  const file = join(stateDir, 'webhook_secret')
  const existing = await readFile(file, 'utf8').catch(() => '')
  if (existing.trim()) {
    return existing.trim()
  }
  const secret = `whsec_${randomBytes(24).toString('hex')}`
  await writeFile(file, secret, { mode: 0o600 })
  return secret
}

export async function connectSandbox(options: {
  appRoot: string
  environment: 'development' | 'test' | 'production'
  secretKey: string
  /** Where the sandbox delivers webhooks (the app's /stripe/webhook) */
  webhookUrl: string
  log: (line: string) => void
}): Promise<SandboxConnection> {
  if (process.env.STRIPE_SANDBOX_URL) {
    return {
      url: process.env.STRIPE_SANDBOX_URL,
      sandbox: null,
      webhookSecret: null,
      stop: async () => {},
    }
  }

  if (options.environment === 'test') {
    const sandbox = await startSandboxProcess({ port: 0 })
    return {
      url: sandbox.url,
      sandbox,
      webhookSecret: TEST_WEBHOOK_SECRET,
      stop: () => sandbox.stop(),
    }
  }

  const stateDir = join(options.appRoot, 'tmp', 'stripe-sandbox')
  const serverFile = join(stateDir, 'server.json')
  await mkdir(stateDir, { recursive: true })
  const secret = await webhookSecret(stateDir)

  const findRunning = async () => {
    const running = JSON.parse(await readFile(serverFile, 'utf8').catch(() => 'null'))
    if (running && isAlive(running.pid) && (await reachable(running.url, options.secretKey))) {
      return running.url as string
    }
    return null
  }

  const runningUrl = await findRunning()
  if (runningUrl) {
    return { url: runningUrl, sandbox: null, webhookSecret: secret, stop: async () => {} }
  }

  return withFileLock(join(stateDir, 'start.lock'), async () => {
    const startedMeanwhile = await findRunning()
    if (startedMeanwhile) {
      return { url: startedMeanwhile, sandbox: null, webhookSecret: secret, stop: async () => {} }
    }
    const preferredPort = Number(process.env.STRIPE_SANDBOX_PORT || 12111)
    const stateFile = join(stateDir, 'state.db')
    // Before the SQLite state file there was a JSON one: the sandbox converts it.
    const legacyFile = join(stateDir, 'state.json')
    if (!existsSync(stateFile) && existsSync(legacyFile)) {
      await rename(legacyFile, stateFile)
    }
    const sandbox = await startSandboxProcess({
      port: (await isPortFree(preferredPort)) ? preferredPort : await freePort(),
      stateFile,
      webhookEndpoints: [
        { url: options.webhookUrl, secret },
        { url: options.webhookUrl, secret, connect: true },
      ],
      log: options.log,
    })
    await writeFile(serverFile, JSON.stringify({ pid: sandbox.pid, url: sandbox.url }))
    return {
      url: sandbox.url,
      sandbox,
      webhookSecret: secret,
      async stop() {
        await sandbox.stop()
        await rm(serverFile, { force: true })
      },
    }
  })
}
