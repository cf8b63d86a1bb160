import { execFile } from 'node:child_process'
import app from '@adonisjs/core/services/app'
import { stripeConfig } from '#stripe/client'

export interface AceOutcome {
  code: number
  stdout: string
  stderr: string
}

/** This test run's database as a URL, for a child process */
export function testDatabaseUrl() {
  const connection = app.config.get<
    string | { host: string; port: number; user: string; password?: string; database: string }
  >('database.connections.postgres.connection')
  // TEST_DATABASE_URL as it was given, or the embedded PostgreSQL's parts
  if (typeof connection === 'string') {
    return connection
  }
  const credentials = `${encodeURIComponent(connection.user)}:${encodeURIComponent(connection.password ?? '')}`
  return `postgres://${credentials}@${connection.host}:${connection.port}/${connection.database}`
}

/** This test run's Stripe sandbox as a URL, for a child process */
export function testSandboxUrl() {
  const api = stripeConfig().api!
  return `${api.protocol}://${api.host}:${api.port}`
}

/**
 * `node ace …` in a real process, with no terminal (stdin is a pipe), on this
 * test run's database and Stripe sandbox. `env` adds or overrides variables
 * (undefined removes one).
 */
export function ace(argv: string[], env: Record<string, string | undefined> = {}) {
  // The test process' APP_KEY is a Secret ("[redacted]" once in process.env):
  // the child reads the key file instead
  const inherited: Record<string, string | undefined> = { ...process.env }
  delete inherited.APP_KEY
  delete inherited.LOG_LEVEL
  const merged: Record<string, string | undefined> = {
    ...inherited,
    NODE_ENV: 'test',
    FORCE_COLOR: '0',
    TEST_DATABASE_URL: testDatabaseUrl(),
    STRIPE_SANDBOX_URL: testSandboxUrl(),
    ...env,
  }
  const childEnv = Object.fromEntries(
    Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined)
  )
  return new Promise<AceOutcome>((resolve) => {
    execFile(
      process.execPath,
      ['ace', ...argv],
      { cwd: app.makePath(), env: childEnv },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
      }
    )
  })
}
