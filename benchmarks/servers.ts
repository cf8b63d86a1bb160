/*
 * What the benchmark runs: the production build (1 or N HTTP processes), the
 * development server, a job worker, its own database, its own Stripe sandbox
 * and a mail sink. Each is a child process (or server) stopped at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import pg from 'pg'
import { startEmbeddedPostgres } from '../infra/embedded_postgres.js'
import { freePort } from '../infra/net.js'
import { type SandboxProcess, startSandboxProcess } from '../stripe_sandbox/process.js'

export const ROOT = join(import.meta.dirname, '..')
export const BUILD = join(ROOT, 'build')
export const LOGS = join(ROOT, 'tmp', 'bench')
const NODE = process.execPath

/** Runs a command to its end; rejects with its output's tail when it fails */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output.slice(-3000)}`))
    )
  })
}

/** `node ace build`, with the project's node_modules linked into build/ (no install) */
export async function buildApp() {
  await run(NODE, ['ace', 'build'])
  const modules = join(BUILD, 'node_modules')
  if (!existsSync(modules)) {
    symlinkSync(join(ROOT, 'node_modules'), modules, 'dir')
  }
}

export interface BenchDatabase {
  url: string
  /** where it came from, for the report */
  source: string
  stop(): Promise<void>
}

/**
 * A fresh database: emptied (or created) on the PostgreSQL that
 * BENCH_DATABASE_URL (that database) or DATABASE_URL (its server, database
 * `crewpay_benchmark`) points to; else an embedded PostgreSQL under tmp/.
 */
export async function freshDatabase(): Promise<BenchDatabase> {
  const given = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL
  let url: URL
  let stop = async () => {}
  if (given) {
    url = new URL(given)
    if (!process.env.BENCH_DATABASE_URL) {
      url.pathname = '/crewpay_benchmark'
    }
  } else {
    const embedded = await startEmbeddedPostgres({
      dataDir: join(ROOT, 'tmp', 'postgres', 'bench'),
      database: 'postgres',
      preferredPort: 54349,
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
    })
    url = new URL(
      `postgres://${embedded.user}:${embedded.password}@${embedded.host}:${embedded.port}/crewpay_benchmark`
    )
    stop = () => embedded.stop()
  }
  const name = url.pathname.slice(1)
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new Error(`Unusable benchmark database name: ${name}`)
  }
  // Emptying the schemas of an existing database spares the checkpoint DROP DATABASE waits for
  const server = new URL(url)
  server.pathname = '/postgres'
  const admin = new pg.Client({ connectionString: server.href })
  await admin.connect()
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
  if (!rowCount) {
    await admin.query(`CREATE DATABASE ${name}`)
  }
  await admin.end()
  const client = new pg.Client({ connectionString: url.href })
  await client.connect()
  await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()`)
  const { rows } = await client.query(`SELECT nspname FROM pg_namespace
    WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'`)
  for (const { nspname } of rows) {
    await client.query(`DROP SCHEMA "${nspname}" CASCADE`)
  }
  await client.query('CREATE SCHEMA public')
  await client.end()
  return { url: url.href, source: given ? `${url.host}/${name}` : `embedded, ${url.host}`, stop }
}

/** A sandbox of its own, in memory, delivering webhooks to the app's port */
export function startSandbox(appPort: number, webhookSecret: string): Promise<SandboxProcess> {
  const url = `http://127.0.0.1:${appPort}/stripe/webhook`
  return startSandboxProcess({
    port: 0,
    webhookEndpoints: [
      { url, secret: webhookSecret },
      { url, secret: webhookSecret, connect: true },
    ],
  })
}

/** An SMTP server that accepts every mail and keeps none (production requires SMTP_HOST) */
export async function startMailSink(): Promise<{ port: number; stop(): Promise<void> }> {
  const server = net.createServer((socket) => {
    let inData = false
    let buffer = ''
    socket.write('220 bench\r\n')
    socket.on('error', () => {})
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1')
      let end
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        if (inData) {
          if (line === '.') {
            inData = false
            socket.write('250 queued\r\n')
          }
        } else if (/^DATA/i.test(line)) {
          inData = true
          socket.write('354 go on\r\n')
        } else if (/^QUIT/i.test(line)) {
          socket.end('221 bye\r\n')
        } else if (/^EHLO/i.test(line)) {
          socket.write('250-bench\r\n250 8BITMIME\r\n')
        } else {
          socket.write('250 ok\r\n')
        }
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** The environment every app process of the run shares (production unless overridden) */
export function appEnvironment(options: {
  port: number
  databaseUrl: string
  sandboxUrl: string
  webhookSecret: string
  smtpPort: number
}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const key of ['STRIPE_SECRET_KEY', 'STRIPE_CONNECT_WEBHOOK_SECRET', 'WEB_CONCURRENCY']) {
    delete env[key]
  }
  return {
    ...env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(options.port),
    APP_URL: `http://127.0.0.1:${options.port}`,
    APP_KEY: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'warn',
    DATABASE_URL: options.databaseUrl,
    STRIPE_SANDBOX_URL: options.sandboxUrl,
    STRIPE_SANDBOX_IN_PRODUCTION: 'benchmark',
    STRIPE_WEBHOOK_SECRET: options.webhookSecret,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(options.smtpPort),
    JOBS_IN_PROCESS: 'false',
  }
}

/** The same, for development mode (where the sandbox needs no opt-in) */
export function developmentEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const development: NodeJS.ProcessEnv = { ...env, NODE_ENV: 'development' }
  delete development.STRIPE_SANDBOX_IN_PRODUCTION
  return development
}

export interface Running {
  /** the process to measure the memory of (the HTTP server itself) */
  pid: number
  stop(): Promise<void>
}

function logTo(child: ChildProcess, name: string) {
  mkdirSync(LOGS, { recursive: true })
  const log = createWriteStream(join(LOGS, `${name}.log`), { flags: 'a' })
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
}

function stopper(child: ChildProcess) {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return
    }
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    await exited
    clearTimeout(timer)
  }
}

async function waitForHttp(url: string, child: ChildProcess, name: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited (${child.exitCode}); see tmp/bench/${name}.log`)
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
      if (response.ok) {
        return
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`${name} did not answer ${url} in time; see tmp/bench/${name}.log`)
}

/** `node build/bin/server.js` with WEB_CONCURRENCY=processes */
export async function startProduction(env: NodeJS.ProcessEnv, processes: number): Promise<Running> {
  const name = `production-${processes}`
  const child = spawn(NODE, ['bin/server.js'], {
    cwd: BUILD,
    env: { ...env, WEB_CONCURRENCY: String(processes) },
  })
  logTo(child, name)
  await waitForHttp(`${env.APP_URL}/css/app.css`, child, name)
  return { pid: child.pid!, stop: stopper(child) }
}

/** `node ace serve` (no HMR, no watcher): development mode from source */
export async function startDevelopment(env: NodeJS.ProcessEnv): Promise<Running> {
  const child = spawn(NODE, ['ace', 'serve'], {
    cwd: ROOT,
    env: developmentEnvironment(env),
    detached: true,
  })
  logTo(child, 'development')
  await waitForHttp(`${env.APP_URL}/css/app.css`, child, 'development', 180_000)
  return {
    pid: child.pid!,
    // the assembler runs the server in a child of its own: stop the group
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      process.kill(-child.pid!, 'SIGTERM')
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 20_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** `node ace jobs:work` from the build: the one job worker */
export async function startWorker(env: NodeJS.ProcessEnv, nodeOptions?: string): Promise<Running> {
  const child = spawn(NODE, ['ace.js', 'jobs:work'], {
    cwd: BUILD,
    env: nodeOptions ? { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} ${nodeOptions}` } : env,
  })
  logTo(child, 'worker')
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('jobs:work did not start')), 60_000)
    const onData = (chunk: Buffer) => {
      if (chunk.toString().includes('Working')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => reject(new Error(`jobs:work exited ${code}`)))
  })
  return { pid: child.pid!, stop: stopper(child) }
}

/** Resident memory of a process, in MB (Linux) */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN)
  return kb / 1024
}

export { freePort }
