/*
|--------------------------------------------------------------------------
| Ace entrypoint
|--------------------------------------------------------------------------
|
| `node ace <command>` lands here (through ace.js). Commands that need the
| application (startApp: true) boot it, which also reaches the database and
| the Stripe sandbox.
|
*/
import { enableCompileCache } from 'node:module'

// V8 keeps the bytecode of every module it compiles (in the OS temp folder):
// the next command skips compiling the ~1,500 modules it loads. Turned on
// before anything else is imported, hence the dynamic imports below.
enableCompileCache()

await import('reflect-metadata')
const { Ignitor, prettyPrintError } = await import('@adonisjs/core')

const APP_ROOT = new URL('../', import.meta.url)

const IMPORTER = (filePath: string) => {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }
  return import(filePath)
}

new Ignitor(APP_ROOT, { importer: IMPORTER })
  .tap((app) => {
    app.booting(async () => {
      await import('#start/env')
    })
    app.listen('SIGTERM', () => app.terminate())
    app.listenIf(app.managedByPm2, 'SIGINT', () => app.terminate())
  })
  .ace()
  .handle(process.argv.splice(2))
  .catch((error) => {
    process.exitCode = 1
    prettyPrintError(error)
  })
