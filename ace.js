/*
|--------------------------------------------------------------------------
| JavaScript entrypoint for running ace commands
|--------------------------------------------------------------------------
|
| ts-exec compiles the TypeScript sources on the fly, then the real entry
| point (bin/console.ts) boots the ace kernel.
|
*/
import '@poppinss/ts-exec'

// `node ace ...` is the developer's entry point (the production build has its
// own): without a NODE_ENV it is a development machine.
process.env.NODE_ENV ||= 'development'

await import('./bin/console.js')
