/*
 * The measurements: load tests with autocannon at a fixed number of
 * connections, signed-in sessions, orders placed end to end, a webhook burst
 * checked for exactly-once, memory under load, and console commands.
 */
import { createHmac, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import autocannon from 'autocannon'
import pg from 'pg'
import { type Figures, medianFigures, type WebhookOutcome } from './table.js'
import { withClient } from './seed.js'
import { run } from './servers.js'

export interface LoadOptions {
  base: string
  connections: number
  seconds: number
  runs: number
  /** called when the warm-up is over and the measured runs begin, and when they end */
  onMeasured?: (phase: 'start' | 'end') => void
}

interface Request {
  method?: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  /** builds each request's body and extra headers (a new one every time) */
  body?: (context: Record<string, unknown>) => { body: string; headers?: Record<string, string> }
  onResponse?: (
    status: number,
    context: Record<string, unknown>,
    headers: Record<string, string>
  ) => void
  /** which statuses count as answered: 2xx by default, 3xx for form posts */
  expect?: '2xx' | '3xx'
}

/** The machine's CPU time so far (all cores, in clock ticks): busy and in all */
function machineTicks() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
    const ticks = fields.map(Number)
    const total = ticks.reduce((sum, value) => sum + value, 0)
    // idle and iowait
    return { busy: total - ticks[3] - (ticks[4] ?? 0), total }
  } catch {
    return null
  }
}

/**
 * Shares of the machine's CPU while `work` ran: all of it, and this process's
 * own (autocannon runs in it, on the same cores as the app)
 */
async function withCpuShares<T extends Figures>(work: () => Promise<T>): Promise<T> {
  const machineBefore = machineTicks()
  const ownBefore = process.cpuUsage()
  const started = performance.now()
  const figures = await work()
  const machineAfter = machineTicks()
  const own = process.cpuUsage(ownBefore)
  const wallMicros = (performance.now() - started) * 1000
  if (machineBefore && machineAfter && machineAfter.total > machineBefore.total) {
    figures.cpu = {
      machine:
        (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
      loadGenerator: (own.user + own.system) / (wallMicros * cpus().length),
    }
  }
  return figures
}

function once(options: LoadOptions, request: Request, seconds: number): Promise<Figures> {
  return withCpuShares(() => onceMeasured(options, request, seconds))
}

function onceMeasured(options: LoadOptions, request: Request, seconds: number): Promise<Figures> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: options.base,
        connections: options.connections,
        duration: seconds,
        timeout: 30,
        requests: [
          {
            method: request.method ?? 'GET',
            path: request.path,
            headers: request.headers,
            ...(request.body
              ? {
                  setupRequest: (req: any, context: any) => {
                    const built = request.body!(context)
                    return {
                      ...req,
                      body: built.body,
                      headers: { ...req.headers, ...built.headers },
                    }
                  },
                }
              : {}),
            ...(request.onResponse
              ? {
                  onResponse: (status: number, _body: string, context: any, headers: any) =>
                    request.onResponse!(status, context, headers),
                }
              : {}),
          } as any,
        ],
      },
      (error, result) => {
        if (error) {
          reject(error)
          return
        }
        const answered = request.expect === '3xx' ? result['3xx'] : result['2xx']
        const total = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx']
        resolve({
          rps: answered / result.duration,
          p50: result.latency.p50,
          p99: result.latency.p99,
          errors: total - answered + result.errors + result.timeouts,
        })
      }
    )
  })
}

/**
 * The requests a run left in flight go on in the server after the client has
 * gone: waits until /health (which queries the database) answers at once again,
 * so that they do not count against the next run.
 */
async function settle(base: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const started = performance.now()
    await fetch(new URL('/health', base)).then(
      (response) => response.arrayBuffer(),
      () => null
    )
    if (performance.now() - started < 100) {
      return
    }
  }
}

/** Two seconds of warm-up, then `runs` runs of `seconds`: the median of each figure */
export async function load(options: LoadOptions, request: Request): Promise<Figures> {
  await settle(options.base)
  await once(options, request, 2)
  await settle(options.base)
  const runs: Figures[] = []
  options.onMeasured?.('start')
  for (let i = 0; i < options.runs; i++) {
    runs.push(await once(options, request, options.seconds))
    if (i === options.runs - 1) {
      options.onMeasured?.('end')
    }
    await settle(options.base)
  }
  return medianFigures(runs)
}

/** Cookies kept from Set-Cookie headers, sent back as one Cookie header */
export class Session {
  #cookies = new Map<string, string>()
  csrf = ''

  constructor(readonly base: string) {}

  get cookie() {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  async fetch(path: string, init: RequestInit = {}) {
    const response = await fetch(new URL(path, this.base), {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: this.cookie },
    })
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';')
      const at = pair.indexOf('=')
      this.#cookies.set(pair.slice(0, at), pair.slice(at + 1))
    }
    const text = await response.text()
    const token = /name=['"]_csrf['"] value=['"]([^'"]+)['"]/.exec(text)?.[1]
    if (token) {
      this.csrf = token
    }
    return { response, text }
  }
}

/** Signs in through the login form; the session's cookies and a CSRF token */
export async function signIn(base: string, email: string, password: string): Promise<Session> {
  const session = new Session(base)
  await session.fetch('/login')
  const { response } = await session.fetch('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: session.csrf, email, password }).toString(),
  })
  const location = response.headers.get('location') ?? ''
  if (response.status !== 302 || location.includes('/login')) {
    throw new Error(`Could not sign in as ${email} (${response.status} → ${location})`)
  }
  return session
}

/** Several sessions of one user (signed in one after the other) */
export async function signInMany(base: string, email: string, password: string, count: number) {
  const sessions: Session[] = []
  for (let i = 0; i < count; i++) {
    sessions.push(await signIn(base, email, password))
  }
  return sessions
}

/**
 * A page as these sessions see it, each request with the next session's
 * cookie (several users rather than one session asked 50 times at once)
 */
export function page(options: LoadOptions, path: string, sessions: Session[] = []) {
  let next = 0
  return load(options, {
    path,
    body: sessions.length
      ? () => ({ body: '', headers: { cookie: sessions[next++ % sessions.length].cookie } })
      : undefined,
  })
}

/**
 * POST /orders as the order form sends it (CSRF token, a new form token each
 * time); an order counts when it is in the database and the app sent the
 * employer to its page.
 */
export async function placeOrders(
  options: LoadOptions,
  sessions: Session[],
  serviceId: number,
  databaseUrl: string
): Promise<{ figures: Figures; placed: number; answered: number }> {
  for (const session of sessions) {
    await session.fetch(`/services/${serviceId}`)
  }
  const tokens: string[] = []
  let answered = 0
  const figures = await load(options, {
    method: 'POST',
    path: '/orders',
    expect: '3xx',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: () => {
      const session = sessions[tokens.length % sessions.length]
      const token = randomUUID()
      tokens.push(token)
      const body = new URLSearchParams({
        _csrf: session.csrf,
        service_id: String(serviceId),
        form_token: token,
      })
      return { body: body.toString(), headers: { cookie: session.cookie } }
    },
    onResponse: (status, _context, headers) => {
      if (status === 302 && /^\/orders\/\d+$/.test(headers.location ?? '')) {
        answered++
      }
    },
  })
  const placed = await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query(
      'SELECT count(*)::int AS count FROM orders WHERE form_token = ANY($1::uuid[])',
      [tokens]
    )
    return rows[0].count as number
  })
  return { figures, placed, answered }
}

/** A Stripe-Signature header for this payload */
export function signature(
  payload: string,
  secret: string,
  timestamp = Math.floor(Date.now() / 1000)
) {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex')
  return `t=${timestamp},v1=${mac}`
}

/**
 * The n-th event of a burst: mostly PaymentIntent events for payments the
 * app knows, one in five for objects it does not know, one in ten of a type
 * it does not handle; every tenth request resends an earlier event.
 */
export function burstEvent(nonce: string, n: number, paymentIntents: string[]) {
  const id = n % 10 === 9 && n > 10 ? Math.floor(n / 2) : n
  const kind = id % 10
  const object =
    kind < 2
      ? { id: `pi_bench_unknown_${nonce}_${id}`, object: 'payment_intent', status: 'succeeded' }
      : kind === 2
        ? { id: `cus_bench_${nonce}_${id}`, object: 'customer' }
        : {
            id: paymentIntents[id % paymentIntents.length],
            object: 'payment_intent',
            status: 'requires_capture',
          }
  const type =
    kind < 2
      ? 'payment_intent.succeeded'
      : kind === 2
        ? 'customer.updated'
        : 'payment_intent.amount_capturable_updated'
  return {
    id: `evt_bench_${nonce}_${id}`,
    object: 'event',
    api_version: '2025-01-27.acacia',
    created: 1_700_000_000 + id,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  }
}

/**
 * A burst of signed events at the webhook route, then, once the worker has
 * applied what was stored (or `drainSeconds` passed), what the database says.
 */
export async function webhookBurst(
  options: LoadOptions & {
    secret: string
    paymentIntents: string[]
    databaseUrl: string
    drainSeconds: number
  }
): Promise<{ figures: Figures; outcome: WebhookOutcome; drainedIn: number }> {
  const nonce = Date.now().toString(36)
  const sent = new Set<string>()
  const acknowledged = new Set<string>()
  let next = 0
  const figures = await load(options, {
    method: 'POST',
    path: '/stripe/webhook',
    headers: { 'content-type': 'application/json' },
    body: (context) => {
      const event = burstEvent(nonce, next++, options.paymentIntents)
      const payload = JSON.stringify(event)
      sent.add(event.id)
      context.id = event.id
      return { body: payload, headers: { 'stripe-signature': signature(payload, options.secret) } }
    },
    onResponse: (status, context) => {
      if (status === 200) {
        acknowledged.add(context.id as string)
      }
    },
  })
  const started = Date.now()
  const outcome = await withClient(options.databaseUrl, async (client) => {
    const pattern = `evt_bench_${nonce}_%`
    const count = async () => {
      const { rows } = await client.query(
        `SELECT count(*)::int AS stored,
           count(*) FILTER (WHERE processed_at IS NOT NULL)::int AS applied,
           count(*) FILTER (WHERE attempts > 1)::int AS twice
         FROM stripe_events WHERE stripe_event_id LIKE $1`,
        [pattern]
      )
      return rows[0]
    }
    let counts = await count()
    while (counts.applied < counts.stored && Date.now() - started < options.drainSeconds * 1000) {
      await new Promise((resolve) => setTimeout(resolve, 1000))
      counts = await count()
    }
    const { rows } = await client.query(
      'SELECT count(*)::int AS stored FROM stripe_events WHERE stripe_event_id = ANY($1)',
      [[...acknowledged]]
    )
    const { rows: jobs } = await client.query(
      `SELECT count(*)::int AS extra FROM (
         SELECT j.data->>'eventId' FROM pgboss.job j
         JOIN stripe_events e ON e.id = (j.data->>'eventId')::int
         WHERE j.name = 'apply_stripe_event' AND e.stripe_event_id LIKE $1
         GROUP BY 1 HAVING count(*) > 1) twice`,
      [pattern]
    )
    return {
      acknowledged: acknowledged.size,
      stored: rows[0].stored,
      storedRows: counts.stored,
      sent: sent.size,
      applied: counts.applied,
      appliedTwice: counts.twice + jobs[0].extra,
    }
  })
  return { figures, outcome, drainedIn: (Date.now() - started) / 1000 }
}

/** Wall time of a whole command, in ms: the median of `runs` */
export async function commandTime(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  runs: number
): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    await run(process.execPath, args, { cwd, env })
    times.push(performance.now() - started)
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]
}

/**
 * What one statement costs a Node process on this machine with `pg` alone (no
 * ORM, no framework): a primary-key SELECT, 10 at a time, as the pool runs
 * them. CPU time of this process per statement, and statements per second.
 */
export async function statementCost(
  databaseUrl: string,
  statements = 5000
): Promise<{ cpuMicros: number; perSecond: number }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 })
  try {
    const one = () => pool.query('SELECT id, email FROM users WHERE id = $1', [1])
    for (let i = 0; i < 200; i++) {
      await one()
    }
    const cpu = process.cpuUsage()
    const started = performance.now()
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < statements / 10; i++) {
          await one()
        }
      })
    )
    const used = process.cpuUsage(cpu)
    return {
      cpuMicros: (used.user + used.system) / statements,
      perSecond: statements / ((performance.now() - started) / 1000),
    }
  } finally {
    await pool.end()
  }
}
