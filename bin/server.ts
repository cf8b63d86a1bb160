/*
|--------------------------------------------------------------------------
| HTTP server entrypoint
|--------------------------------------------------------------------------
|
| Boots the application and starts the HTTP server. `npm run dev` runs this
| file through the assembler; `node bin/server.js` runs the production build.
|
| In production, WEB_CONCURRENCY=N (default 1) runs N HTTP processes sharing
| the port (Node's cluster), one per core: a Node process uses one core. They
| only serve requests; jobs run in `node ace jobs:work` workers.
|
*/
import 'reflect-metadata'
import cluster from 'node:cluster'
import { Ignitor, prettyPrintError } from '@adonisjs/core'

/**
 * The primary forks the HTTP processes and replaces one that dies after it
 * served; one that dies while starting (bad configuration) stops them all.
 * SIGTERM/SIGINT stop every process (each finishes its requests).
 */
function superviseWorkers(count: number) {
  let stopping = false
  const served = new WeakSet<object>()
  cluster.on('listening', (worker) => served.add(worker))
  cluster.on('exit', (worker, code, signal) => {
    const left = Object.keys(cluster.workers ?? {}).length
    if (!stopping && served.has(worker)) {
      console.error(
        `HTTP process ${worker.process.pid} exited (${signal ?? code}); starting another`
      )
      cluster.fork()
      return
    }
    if (!stopping) {
      process.exitCode = 1
      stop()
    }
    if (left === 0) {
      process.exit()
    }
  })
  const stop = () => {
    stopping = true
    for (const worker of Object.values(cluster.workers ?? {})) {
      worker?.process.kill('SIGTERM')
    }
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  for (let i = 0; i < count; i++) {
    cluster.fork()
  }
}

const APP_ROOT = new URL('../', import.meta.url)

/**
 * Imports files relative to the application root (used by the ignitor to
 * load the rc file, providers, preloads and config).
 */
const IMPORTER = (filePath: string) => {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }
  return import(filePath)
}

function startHttpServer() {
  new Ignitor(APP_ROOT, { importer: IMPORTER })
    .tap((app) => {
      app.booting(async () => {
        await import('#start/env')
      })
      app.listen('SIGTERM', () => app.terminate())
      app.listenIf(app.managedByPm2 || cluster.isWorker, 'SIGINT', () => app.terminate())
    })
    .httpServer()
    .start()
    .catch(async (error) => {
      process.exitCode = 1
      await prettyPrintError(error)
      // A cluster worker's channel to the primary would keep it alive: leave, so it is told
      if (cluster.isWorker) {
        process.exit()
      }
    })
}

const processes =
  process.env.NODE_ENV === 'production' ? Number(process.env.WEB_CONCURRENCY || 1) : 1
if (cluster.isPrimary && Number.isInteger(processes) && processes > 1) {
  superviseWorkers(processes)
} else {
  startHttpServer()
}
