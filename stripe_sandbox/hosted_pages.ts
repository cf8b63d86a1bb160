import { timingSafeEqual } from 'node:crypto'
import { type IncomingMessage, type ServerResponse } from 'node:http'
import { type Context } from './core/context.js'
import { parseUrlEncoded } from './core/form.js'
import { newId } from './core/ids.js'
import { type Rec } from './core/store.js'
import { type Engine } from './engine.js'

/*
 * Pages the sandbox serves to a browser, as Stripe's test mode does (the 3D
 * Secure test page, the microdeposit verification page). They sit outside
 * /v1, need no API key, and act only on the intent named in the URL, and
 * only for a request that carries that intent's client secret.
 */

export interface PageRequest {
  method: 'GET' | 'POST'
  /** the intent id from the URL */
  id: string
  /** query string and form fields (flat) */
  params: Record<string, string>
}

export interface PageReply {
  status: number
  html?: string
  /** a 303 redirect */
  location?: string
}

type PageHandler = (engine: Engine, request: PageRequest) => PageReply

const MAX_FORM_BYTES = 16 * 1024
const registries = new WeakMap<Engine, Map<string, PageHandler>>()

/** Serves `/sandbox/<name>/<intent id>` with `handler`. */
export function registerPage(engine: Engine, name: string, handler: PageHandler): void {
  let pages = registries.get(engine)
  if (!pages) {
    pages = new Map()
    registries.set(engine, pages)
  }
  pages.set(name, handler)
}

/** The page's address for an intent; its client secret is the key that opens it. */
export function pageUrl(engine: Engine, name: string, intent: Rec): string {
  const base = engine.url || 'http://127.0.0.1'
  const secret = encodeURIComponent(intent.obj.client_secret)
  return `${base}/sandbox/${name}/${intent.id}?client_secret=${secret}`
}

/** The intent named by a page request, if the request carries its client secret. */
export function intentForPage(engine: Engine, type: string, request: PageRequest): Rec | null {
  const rec = engine.store.get(request.id)
  const given = Buffer.from(request.params.client_secret ?? '')
  if (!rec || rec.type !== type || rec.deleted) {
    return null
  }
  const expected = Buffer.from(String(rec.obj.client_secret))
  return given.length === expected.length && timingSafeEqual(given, expected) ? rec : null
}

/**
 * Runs `work` as a request of the intent's own account would run: events it
 * emits carry a request id, and everything it creates shares one timestamp.
 */
export function actAs<T>(engine: Engine, intent: Rec, work: () => T): T {
  const ctx: Context = {
    engine,
    requestId: newId('req', 14),
    idempotencyKey: null,
    platform: intent.plat,
    account: intent.acct,
    connected: intent.acct !== intent.plat,
    params: {},
    path: {},
    url: '',
  }
  const previous = engine.current
  engine.current = ctx
  try {
    return engine.clock.runAt(engine.clock.realNow(), work)
  } finally {
    engine.current = previous
    engine.markDirty()
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A plain, accessible page: no script, readable at 390 px. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – Stripe sandbox</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; padding: 1rem; color: #1a1a1a; background: #f6f8fa; }
main { max-width: 28rem; margin: 2rem auto; background: #fff; padding: 1.5rem; border-radius: 8px; border: 1px solid #d0d7de; }
h1 { font-size: 1.35rem; margin-top: 0; }
.note { color: #555; font-size: 0.9rem; }
.error { color: #a40e26; font-weight: 600; }
form { display: grid; gap: 0.75rem; margin-top: 1rem; }
label { font-weight: 600; }
input { font-size: 1rem; padding: 0.6rem; border: 1px solid #8c959f; border-radius: 6px; }
button { font-size: 1rem; padding: 0.75rem 1rem; border-radius: 6px; border: 1px solid #1f2328; cursor: pointer; }
button.primary { background: #0a6b3d; color: #fff; border-color: #0a6b3d; }
button.secondary { background: #fff; color: #a40e26; border-color: #a40e26; }
button:focus-visible, input:focus-visible, a:focus-visible { outline: 3px solid #0969da; outline-offset: 2px; }
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`
}

function readForm(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_FORM_BYTES) {
        reject(new Error('form too large'))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function flatten(tree: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === 'string') {
      out[key] = value
    }
  }
  return out
}

function write(res: ServerResponse, reply: PageReply): void {
  const headers: Record<string, string> = {
    'Cache-Control': 'no-store',
    // The URL carries the client secret: never leak it to the next site.
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy':
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  }
  if (reply.location) {
    headers.Location = reply.location
    res.writeHead(303, headers)
    res.end()
    return
  }
  const body = reply.html ?? ''
  headers['Content-Type'] = 'text/html; charset=utf-8'
  headers['Content-Length'] = String(Buffer.byteLength(body))
  res.writeHead(reply.status, headers)
  res.end(body)
}

const notFound = (): PageReply => ({
  status: 404,
  html: htmlPage(
    'Page not found',
    '<h1>This link is not valid</h1><p>The page does not exist, or the link is incomplete. ' +
      'Go back to the site you came from and start again.</p>'
  ),
})

/**
 * Answers a `/sandbox/…` request. Returns false when the path is not a
 * sandbox page (the API pipeline then handles it).
 */
export async function serveHostedPage(
  engine: Engine,
  req: IncomingMessage,
  res: ServerResponse
): Promise<boolean> {
  const rawUrl = req.url ?? '/'
  const q = rawUrl.indexOf('?')
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q)
  if (!path.startsWith('/sandbox/')) {
    return false
  }
  const started = performance.now()
  const [name, id, ...rest] = path.slice('/sandbox/'.length).split('/')
  const handler = registries.get(engine)?.get(name)
  const method = req.method === 'POST' ? 'POST' : req.method === 'GET' ? 'GET' : null
  let reply: PageReply
  try {
    if (!handler || !id || rest.length > 0) {
      req.resume()
      reply = notFound()
    } else if (!method) {
      req.resume()
      reply = { status: 405, html: htmlPage('Not allowed', '<h1>Method not allowed</h1>') }
    } else {
      const tree = parseUrlEncoded(q < 0 ? '' : rawUrl.slice(q + 1))
      if (method === 'POST') {
        parseUrlEncoded(await readForm(req), tree)
      } else {
        req.resume()
      }
      engine.runDue()
      reply = handler(engine, { method, id: decodeURIComponent(id), params: flatten(tree) })
    }
  } catch (error) {
    engine.options.log(
      `stripe sandbox page error: ${error instanceof Error ? error.message : error}`
    )
    reply = {
      status: 400,
      html: htmlPage('Something went wrong', '<h1>The request could not be read</h1>'),
    }
  }
  write(res, reply)
  const ms = (performance.now() - started).toFixed(1)
  engine.options.log(`${req.method} ${path} ${reply.location ? 303 : reply.status} ${ms}ms`)
  return true
}
