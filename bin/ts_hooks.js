/*
|--------------------------------------------------------------------------
| TypeScript for `node ace` from source, compiled in the same thread
|--------------------------------------------------------------------------
|
| @poppinss/ts-exec registers its hooks with `module.register`: they run on a
| separate loader thread, and every resolve and load of every module (the
| ~2,000 files of node_modules too) waits on a message to that thread, which
| took over half of a command's start. These are the same hooks (SWC with
| legacy decorators and their metadata, `.js` specifiers falling back to
| `.ts`) registered with `module.registerHooks`, which run synchronously in
| the main thread, and the compiled output is cached on disk by content
| hash (tmp/ts-cache), so an unchanged file is not compiled again.
|
| The dev server and the test runner keep ts-exec (the assembler starts them).
|
*/
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import * as nodeModule from 'node:module'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const appRoot = fileURLToPath(new URL('../', import.meta.url))
const cacheDir = join(appRoot, 'tmp', 'ts-cache')

// What ts-exec derives from tsconfig.json (@adonisjs/tsconfig/tsconfig.app.json)
const swcOptions = {
  sourceMaps: true,
  module: { type: 'es6' },
  jsc: {
    target: 'esnext',
    externalHelpers: false,
    parser: { syntax: 'typescript', tsx: false, decorators: true, dynamicImport: true },
    transform: {
      decoratorMetadata: true,
      legacyDecorator: true,
      react: { runtime: 'automatic' },
    },
    experimental: { keepImportAttributes: true },
    keepClassNames: true,
  },
}

let swc = null
let swcVersion = null
function compiler() {
  if (!swc) {
    // Loaded only when a file is not in the cache
    swc = nodeModule.createRequire(import.meta.url)('@swc/core')
  }
  return swc
}

function cacheKey(source) {
  if (!swcVersion) {
    const pkg = JSON.parse(
      readFileSync(join(appRoot, 'node_modules/@swc/core/package.json'), 'utf8')
    )
    swcVersion = pkg.version
  }
  return createHash('sha256')
    .update(swcVersion)
    .update(JSON.stringify(swcOptions))
    .update(source)
    .digest('hex')
}

function compile(url, source) {
  const filename = fileURLToPath(url)
  const key = cacheKey(`${filename}\0${source}`)
  const cached = join(cacheDir, `${key}.js`)
  try {
    return readFileSync(cached, 'utf8')
  } catch {}

  const { code, map } = compiler().transformSync(source, { ...swcOptions, filename })
  const output = map
    ? `${code}\n\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(map).toString('base64')}`
    : code
  try {
    mkdirSync(cacheDir, { recursive: true })
    // Written aside then renamed: a concurrent command never reads half a file
    const temporary = `${cached}.${process.pid}`
    writeFileSync(temporary, output)
    renameSync(temporary, cached)
  } catch {}
  return output
}

function isTypeScript(url) {
  return url.startsWith('file:') && /\.(m?ts)$/.test(url.split('?')[0]) && !url.endsWith('.d.ts')
}

if (typeof nodeModule.registerHooks !== 'function') {
  // Node before 22.15 (the project's own Node 24 has them): ts-exec's hooks
  await import('@poppinss/ts-exec')
} else {
  process.setSourceMapsEnabled(true)
  registerSyncHooks()
}

function registerSyncHooks() {
  nodeModule.registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context)
      } catch (error) {
        // `#models/user` maps to ./app/models/user.js: from source that file is user.ts
        if (error.code === 'ERR_MODULE_NOT_FOUND' && typeof error.url === 'string') {
          const [pathname, ...query] = error.url.split('?')
          if (extname(pathname) === '.js' && pathname.startsWith('file:')) {
            const candidate = pathname.slice(0, -3) + '.ts'
            try {
              return nextResolve(
                query.length ? `${candidate}?${query.join('?')}` : candidate,
                context
              )
            } catch {}
          }
        }
        throw error
      }
    },
    load(url, context, nextLoad) {
      if (!isTypeScript(url)) {
        return nextLoad(url, context)
      }
      const source = readFileSync(fileURLToPath(url), 'utf8')
      return {
        format: 'module',
        source: `${compile(url, source)}\n\n//# sourceURL=${url}`,
        shortCircuit: true,
      }
    },
  })
}
