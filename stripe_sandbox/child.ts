/*
 * The sandbox in a process of its own, forked by process.ts with an IPC
 * channel (never run directly). It stops, saving its state file, when told
 * to, on SIGTERM, or as soon as its parent goes away (the channel closes),
 * so it can never outlive the process that started it. SIGINT is left to the
 * parent: Ctrl-C in a terminal reaches the whole process group, and the
 * parent then stops the child cleanly.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { type Sandbox, startSandbox } from './index.js'
import { type ChildMessage, type ParentMessage } from './process.js'

/** Sends a message to the parent; resolves once it has been handed over. */
const send = (message: ChildMessage) =>
  new Promise<void>((resolve) => {
    if (process.connected) {
      process.send!(message, undefined, {}, () => resolve())
    } else {
      resolve()
    }
  })

let sandbox: Sandbox | null = null
let stopping: Promise<void> | null = null

function stop(code = 0): Promise<void> {
  stopping ??= (async () => {
    try {
      await sandbox?.stop()
      await flushLog()
    } finally {
      process.exit(code)
    }
  })()
  return stopping
}

// Log lines go to the parent in batches (one IPC message per 50 ms at most).
let lines: string[] = []
let logTimer: NodeJS.Timeout | null = null
function flushLog(): Promise<void> {
  if (logTimer) {
    clearTimeout(logTimer)
    logTimer = null
  }
  const batch = lines
  lines = []
  return batch.length > 0 ? send({ type: 'log', lines: batch }) : Promise.resolve()
}
function log(line: string): void {
  lines.push(line)
  logTimer ??= setTimeout(() => void flushLog(), 50)
}

const delay = monitorEventLoopDelay({ resolution: 10 })
delay.enable()
let utilization = performance.eventLoopUtilization()

process.on('disconnect', () => void stop())
process.on('SIGTERM', () => void stop())
process.on('SIGINT', () => {})
process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'start':
      startSandbox({ ...message.options, log: message.log ? log : false }).then(
        (started) => {
          sandbox = started
          void send({ type: 'ready', url: started.url, port: started.port })
        },
        (error: unknown) => {
          const text = error instanceof Error ? error.message : String(error)
          void send({ type: 'failed', message: text }).then(() => stop(1))
        }
      )
      break
    case 'stats': {
      if (message.gc && typeof globalThis.gc === 'function') {
        globalThis.gc()
        globalThis.gc()
      }
      const now = performance.eventLoopUtilization()
      void send({
        type: 'stats',
        id: message.id,
        stats: {
          ...sandbox!.stats(),
          memory: process.memoryUsage(),
          eventLoop: {
            utilization: performance.eventLoopUtilization(now, utilization).utilization,
            maxDelayMs: delay.max / 1e6,
            p99DelayMs: delay.percentile(99) / 1e6,
          },
        },
      })
      utilization = now
      delay.reset()
      break
    }
    case 'stop':
      void stop()
      break
  }
})
void send({ type: 'alive' })
