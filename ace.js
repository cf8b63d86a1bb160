/*
|--------------------------------------------------------------------------
| JavaScript entrypoint for running ace commands
|--------------------------------------------------------------------------
|
| bin/ts_hooks.js compiles the TypeScript sources (in this thread, cached in
| tmp/ts-cache), then the real entry point (bin/console.ts) boots the ace
| kernel, which also turns on Node's compile cache.
|
*/
import './bin/ts_hooks.js'

// `node ace ...` is the developer's entry point (the production build has its
// own): without a NODE_ENV it is a development machine.
process.env.NODE_ENV ||= 'development'

await import('./bin/console.js')
