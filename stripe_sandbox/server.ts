import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import { type Context } from './core/context.js'
import { expand, platformResolver } from './core/expand.js'
import { fingerprint, type FormHash, parseMultipart, parseUrlEncoded } from './core/form.js'
import { IdempotencyStore } from './core/idempotency.js'
import { newId } from './core/ids.js'
import { validateParams } from './core/params.js'
import { RawResponse } from './core/router.js'
import { invalidRequest, StripeError } from './core/errors.js'
import { API_VERSION, type Obj } from './core/types.js'
import { type Engine } from './engine.js'
import { platformForKey } from './resources/accounts.js'
import { serveHostedPage } from './hosted_pages.js'

/*
 * The HTTP pipeline: auth → route → Stripe-Account → idempotency → body
 * parsing and parameter validation → handler → expand → JSON. Plain
 * node:http, no framework.
 */

const MAX_BODY_BYTES = 20 * 1024 * 1024

interface Reply {
  status: number
  body: string | Buffer
  headers: Record<string, string>
  /** whether an idempotency key keeps this answer (errors say so themselves) */
  stored?: boolean
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

function mask(key: string): string {
  if (key.length <= 12) {
    return `${key.slice(0, 3)}****`
  }
  return `${key.slice(0, 8)}${'*'.repeat(Math.max(4, key.length - 12))}${key.slice(-4)}`
}

/** Authenticates `Authorization: Bearer sk_test_…` (or Basic with the key as user). */
function authenticate(engine: Engine, req: IncomingMessage): string {
  const auth = header(req, 'authorization')
  if (!auth) {
    throw invalidRequest(
      'You did not provide an API key. You need to provide your API key in the Authorization ' +
        "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See " +
        'https://stripe.com/docs/api#authentication for details, or we can help at ' +
        'https://support.stripe.com/.',
      { status: 401 }
    )
  }
  let key = ''
  const space = auth.indexOf(' ')
  const scheme = auth.slice(0, space).toLowerCase()
  const credential = auth.slice(space + 1).trim()
  if (scheme === 'bearer') {
    key = credential
  } else if (scheme === 'basic') {
    key = Buffer.from(credential, 'base64').toString('utf8').split(':')[0]
  }
  if (key.startsWith('pk_')) {
    throw invalidRequest(
      'This API call cannot be made with a publishable API key. Please use a secret API key. ' +
        'You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.',
      { status: 401, code: 'secret_key_required' }
    )
  }
  if (!/^sk_test_\S+$/.test(key)) {
    throw invalidRequest(`Invalid API Key provided: ${mask(key)}`, { status: 401 })
  }
  return platformForKey(engine, key)
}

/** The account the request acts on: the platform, or a connected account via Stripe-Account. */
function actingAccount(engine: Engine, platform: string, target: string | undefined, key: string) {
  if (!target || target === platform) {
    return { account: platform, connected: false }
  }
  const rec = engine.store.get(target)
  if (!rec || rec.type !== 'account' || rec.plat !== platform || rec.deleted) {
    throw invalidRequest(
      `The provided key '${mask(key)}' does not have access to account '${target}' (or that ` +
        'account does not exist). Application access may have been revoked.',
      { status: 403, code: 'account_invalid' }
    )
  }
  return { account: target, connected: true }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(invalidRequest('Request body too large.', { status: 413 }))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)))
    // A client that goes away mid-body gets nothing stored under its idempotency key.
    req.on('error', () => reject(invalidRequest('The request body could not be read.')))
    req.on('aborted', () => reject(invalidRequest('The request was aborted by the client.')))
  })
}

async function readParams(req: IncomingMessage, query: string): Promise<FormHash> {
  const tree = parseUrlEncoded(query)
  if (req.method !== 'POST') {
    req.resume()
    return tree
  }
  const body = await readBody(req)
  const type = header(req, 'content-type') ?? ''
  if (type.startsWith('multipart/form-data')) {
    const parts = parseMultipart(body, type)
    return Object.assign(tree, parts)
  }
  return parseUrlEncoded(body.toString('utf8'), tree)
}

function errorReply(error: StripeError): Reply {
  return {
    status: error.status,
    body: JSON.stringify({ error: error.body }),
    headers: error.headers,
    stored: error.stored,
  }
}

export async function handle(engine: Engine, req: IncomingMessage, res: ServerResponse) {
  if (await serveHostedPage(engine, req, res)) {
    return // a browser page (3D Secure, microdeposits), not the API
  }
  const started = performance.now()
  const requestId = newId('req', 14)
  const method = req.method ?? 'GET'
  const rawUrl = req.url ?? '/'
  const q = rawUrl.indexOf('?')
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q)
  const query = q < 0 ? '' : rawUrl.slice(q + 1)
  let reply: Reply
  let scope: string | null = null
  try {
    engine.runDue()
    const platform = authenticate(engine, req)
    const match = engine.router.match(method, path)
    if (!match) {
      throw invalidRequest(
        `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or ` +
          'we can help at https://support.stripe.com/.',
        { status: 404, code: 'resource_missing' }
      )
    }
    const key = header(req, 'authorization')!
    const acting = actingAccount(engine, platform, header(req, 'stripe-account'), key)
    const idempotencyKey = method === 'POST' ? (header(req, 'idempotency-key') ?? null) : null
    if (idempotencyKey !== null) {
      if (idempotencyKey.length > 255) {
        throw invalidRequest('Idempotency keys can be at most 255 characters long.', {
          param: 'Idempotency-Key',
        })
      }
      const candidate = IdempotencyStore.scope(platform, acting.account, idempotencyKey)
      const existing = engine.idempotency.get(candidate, engine.now())
      if (existing && existing.status === null) {
        req.resume()
        throw invalidRequest(
          'There is currently another in-progress request using this Idempotent Key (probably ' +
            'because of a timeout). Please try again later.',
          { status: 409, code: 'idempotency_key_in_use' }
        )
      }
      if (existing) {
        const tree = await readParams(req, query)
        if (
          existing.method !== method ||
          existing.path !== path ||
          existing.fingerprint !== fingerprint(tree)
        ) {
          throw new StripeError(
            400,
            {
              type: 'idempotency_error',
              message:
                'Keys for idempotent requests can only be used with the same parameters they ' +
                `were first used with. Try using a key other than '${idempotencyKey}' if you ` +
                'meant to execute a different request.',
            },
            false
          )
        }
        reply = {
          status: existing.status ?? 500,
          body: existing.body ?? '',
          headers: { 'Idempotent-Replayed': 'true', 'Original-Request': existing.requestId },
        }
        send(engine, res, reply, requestId, method, path, started, idempotencyKey)
        return
      }
      scope = candidate
      engine.idempotency.begin(scope, method, path, requestId, engine.now())
    }
    const tree = await readParams(req, query)
    if (scope) {
      const entry = engine.idempotency.get(scope, engine.now())
      if (entry) {
        entry.fingerprint = fingerprint(tree)
      }
    }
    const params = validateParams(match.route.spec, tree)
    const ctx: Context = {
      engine,
      requestId,
      idempotencyKey,
      platform,
      account: acting.account,
      connected: acting.connected,
      params,
      path: match.params,
      url: path,
    }
    reply = execute(engine, ctx, match.route.handler, method)
  } catch (error) {
    req.resume() // discard any unread body so the connection can be reused
    reply = toReply(engine, error)
  }
  if (scope) {
    const stored =
      reply.stored ?? (reply.status < 400 || reply.status === 402 || reply.status >= 500)
    if (stored && typeof reply.body === 'string') {
      engine.idempotency.finish(scope, reply.status, reply.body)
      engine.markDirty()
    } else {
      engine.idempotency.abandon(scope)
    }
  }
  const key = method === 'POST' ? (header(req, 'idempotency-key') ?? null) : null
  send(engine, res, reply, requestId, method, path, started, key)
}

function execute(
  engine: Engine,
  ctx: Context,
  handler: (ctx: Context) => Obj,
  method: string
): Reply {
  engine.current = ctx
  // Writes mark every record they read as changed (incremental persistence).
  engine.store.tracking = method !== 'GET'
  let result: Obj
  try {
    // One timestamp per request: everything it creates shares `created`.
    result = engine.clock.runAt(engine.clock.realNow(), () => handler(ctx))
  } finally {
    engine.current = null
    engine.store.tracking = false
  }
  if (result instanceof RawResponse) {
    return { status: 200, body: result.data, headers: { 'Content-Type': result.contentType } }
  }
  const paths: string[] | null | undefined = ctx.params.expand
  if (paths && paths.length > 0) {
    const resolver = platformResolver(engine.store, ctx.platform, (id) => {
      const rec = engine.store.get(id)
      return rec ? engine.render(rec) : undefined
    })
    result = expand(result, paths, resolver)
  }
  return { status: 200, body: JSON.stringify(result), headers: {} }
}

function toReply(engine: Engine, error: unknown): Reply {
  if (error instanceof StripeError) {
    return errorReply(error)
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error)
  engine.options.log(`stripe sandbox internal error: ${detail}`)
  return errorReply(
    new StripeError(500, {
      type: 'api_error',
      message: 'An unknown error occurred in the Stripe sandbox (see its log).',
    })
  )
}

function send(
  engine: Engine,
  res: ServerResponse,
  reply: Reply,
  requestId: string,
  method: string,
  path: string,
  started: number,
  idempotencyKey: string | null
): void {
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/json',
    'Request-Id': requestId,
    'Stripe-Version': API_VERSION,
    ...reply.headers,
  }
  if (idempotencyKey !== null) {
    headers['Idempotency-Key'] = idempotencyKey
  }
  if (reply.status === 409) {
    headers['Stripe-Should-Retry'] = 'true'
  }
  headers['Content-Length'] = Buffer.byteLength(reply.body)
  res.writeHead(reply.status, headers)
  res.end(reply.body)
  const ms = (performance.now() - started).toFixed(1)
  engine.options.log(`${method} ${path} ${reply.status} ${requestId} ${ms}ms`)
}

export function createServer(engine: Engine): http.Server {
  const server = http.createServer((req, res) => {
    handle(engine, req, res).catch((error: unknown) => {
      const reply = toReply(engine, error)
      if (!res.headersSent) {
        res.writeHead(reply.status, { 'Content-Type': 'application/json' })
      }
      res.end(reply.body)
    })
  })
  // Long keep-alive so SDK clients reuse connections; stop() closes them.
  server.keepAliveTimeout = 65_000
  return server
}
