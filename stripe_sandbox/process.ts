import { type ChildProcess, fork } from 'node:child_process'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type SandboxOptions, type SandboxStats } from './index.js'

/*
 * Runs the sandbox in a child process (child.ts), so that whatever it does —
 * serialising responses, writing its state file, collecting its garbage —
 * never blocks the event loop of the process that uses it (the dev server,
 * an ace command, the test run). The child dies with its parent.
 */

/** What can be sent to the child (everything but the log function). */
export type ProcessOptions = Omit<SandboxOptions, 'log'>

export type ParentMessage =
  | { type: 'start'; options: ProcessOptions; log: boolean }
  | { type: 'stats'; id: number; gc?: boolean }
  | { type: 'stop' }

export interface ProcessStats extends SandboxStats {
  memory: NodeJS.MemoryUsage
  eventLoop: { utilization: number; maxDelayMs: number; p99DelayMs: number }
}

export type ChildMessage =
  | { type: 'alive' }
  | { type: 'ready'; url: string; port: number }
  | { type: 'failed'; message: string }
  | { type: 'log'; lines: string[] }
  | { type: 'stats'; id: number; stats: ProcessStats }

export interface SandboxProcess {
  url: string
  port: number
  pid: number
  /** counters and memory of the child (`gc: true` collects garbage first, with --expose-gc) */
  stats(options?: { gc?: boolean }): Promise<ProcessStats>
  /** stops the child (it saves its state file first) and waits for it to exit */
  stop(): Promise<void>
}

export interface StartProcessOptions extends ProcessOptions {
  /** receives the child's request log; none when absent */
  log?: (line: string) => void
  /** extra Node flags for the child (e.g. --expose-gc) */
  nodeFlags?: string[]
}

const STOP_TIMEOUT_MS = 15_000

/** The child entry next to this file, and how Node must run it (TypeScript in development). */
function entry(): { path: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url)
  const extension = extname(here)
  const execArgv =
    extension === '.ts' ? [`--import=${import.meta.resolve('@poppinss/ts-exec')}`] : []
  return { path: join(dirname(here), `child${extension}`), execArgv }
}

export function startSandboxProcess(options: StartProcessOptions = {}): Promise<SandboxProcess> {
  const { log, nodeFlags = [], ...sandboxOptions } = options
  const { path, execArgv } = entry()
  const child: ChildProcess = fork(path, [], {
    execArgv: [...execArgv, ...nodeFlags],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve()
    } else {
      child.once('exit', () => resolve())
    }
  })
  let nextStatsId = 0
  const waiting = new Map<number, (stats: ProcessStats) => void>()

  return new Promise<SandboxProcess>((resolve, reject) => {
    const fail = (message: string) => {
      child.kill('SIGKILL')
      reject(new Error(`Stripe sandbox process: ${message}`))
    }
    const onError = (error: Error) => fail(error.message)
    const onEarlyExit = (code: number | null, signal: string | null) =>
      fail(`exited before it was ready (${signal ?? code})`)
    child.on('error', onError)
    child.once('exit', onEarlyExit)
    child.on('message', (message: ChildMessage) => {
      switch (message.type) {
        case 'alive':
          child.send({
            type: 'start',
            options: sandboxOptions,
            log: log !== undefined,
          } satisfies ParentMessage)
          break
        case 'failed':
          fail(message.message)
          break
        case 'log':
          message.lines.forEach((line) => log?.(line))
          break
        case 'stats':
          waiting.get(message.id)?.(message.stats)
          waiting.delete(message.id)
          break
        case 'ready': {
          child.off('exit', onEarlyExit)
          child.off('error', onError)
          child.on('error', () => {})
          let stopping: Promise<void> | null = null
          child.once('exit', (code, signal) => {
            if (!stopping) {
              log?.(`the Stripe sandbox process exited on its own (${signal ?? code})`)
            }
          })
          resolve({
            url: message.url,
            port: message.port,
            pid: child.pid!,
            stats: (statsOptions = {}) =>
              new Promise<ProcessStats>((done, failed) => {
                if (!child.connected) {
                  failed(new Error('Stripe sandbox process: not running'))
                  return
                }
                const id = ++nextStatsId
                waiting.set(id, done)
                child.send({ type: 'stats', id, gc: statsOptions.gc } satisfies ParentMessage)
              }),
            stop: () => {
              stopping ??= (async () => {
                if (child.connected) {
                  child.send({ type: 'stop' } satisfies ParentMessage)
                }
                const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
                await exited
                clearTimeout(timer)
              })()
              return stopping
            },
          })
          break
        }
      }
    })
  })
}
