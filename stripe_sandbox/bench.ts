/*
 * Figures of the Stripe sandbox, through the official SDK on loopback.
 *
 *   npm run bench:sandbox
 *   BENCH_PIS=20000 BENCH_CONCURRENCY=32 BENCH_BURST_SECONDS=10 npm run bench:sandbox
 *
 * The sandbox runs in its own process, exactly as the dev server starts it
 * (stripe_sandbox/process.ts); the SDK clients and the webhook receiver run
 * here. Reported:
 *   1. throughput: customers.create, PaymentIntent create+confirm, customers.list
 *   2. memory per PaymentIntent (heap after GC), with the default retention
 *      and with retention lifted (what the sandbox kept before it was bounded)
 *   3. persistence: the same burst with a state file — throughput, the
 *      longest the sandbox's event loop was blocked, write chunks, file size
 *   4. webhook delivery latency under a burst, one delivery at a time per
 *      endpoint versus the default concurrency
 */
import { statSync, mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { type AddressInfo } from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import Stripe from 'stripe'
import { DEFAULT_MAX_KEYS_IN_MEMORY } from './core/idempotency.js'
import { DEFAULT_WEBHOOK_CONCURRENCY } from './core/webhooks.js'
import { DEFAULT_MAX_EVENTS } from './engine.js'
import { type SandboxProcess, startSandboxProcess, type StartProcessOptions } from './process.js'

const PIS = Number(process.env.BENCH_PIS ?? 20_000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32)
const BURST_SECONDS = Number(process.env.BENCH_BURST_SECONDS ?? 10)
/** PaymentIntents per second during the webhook burst (3 events each) */
const BURST_RATE = Number(process.env.BENCH_BURST_RATE ?? 100)
/** how long the stand-in for the app's webhook route takes per event */
const HANDLER_MS = Number(process.env.BENCH_WEBHOOK_HANDLER_MS ?? 10)

const card = { allowed_payment_method_types: ['card'] }

function client(sandbox: SandboxProcess, key = 'sk_test_bench'): Stripe {
  return new Stripe(key, {
    host: '127.0.0.1',
    port: sandbox.port,
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
  })
}

function start(options: StartProcessOptions = {}): Promise<SandboxProcess> {
  return startSandboxProcess({ port: 0, nodeFlags: ['--expose-gc'], ...options })
}

/** Runs `total` operations with CONCURRENCY in flight; operations per second. */
async function rate(total: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0
  const started = performance.now()
  const lane = async () => {
    while (next < total) {
      await op(next++)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane))
  return total / ((performance.now() - started) / 1000)
}

const confirmPayment = (stripe: Stripe) =>
  stripe.paymentIntents.create({
    amount: 10_000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    confirm: true,
    ...card,
  })

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`
const line = (label: string, value: string) => console.log(`  ${label.padEnd(46)} ${value}`)

async function throughput(): Promise<void> {
  const sandbox = await start()
  try {
    const stripe = client(sandbox)
    await rate(2000, () => stripe.customers.create({ email: 'warm@example.com' }))
    await rate(1000, () => confirmPayment(stripe))
    const busy = async () => {
      const stats = await sandbox.stats()
      return `(sandbox busy ${(stats.eventLoop.utilization * 100).toFixed(0)}%)`
    }
    await busy()
    const customers = await rate(PIS, (i) =>
      stripe.customers.create({ email: `bench${i}@example.com`, metadata: { i: String(i) } })
    )
    const busyCustomers = await busy()
    const payments = await rate(PIS, () => confirmPayment(stripe))
    const busyPayments = await busy()
    const reads = await rate(PIS, () => stripe.customers.list({ limit: 10 }))
    const busyReads = await busy()
    console.log('Throughput')
    line('customers.create', `${customers.toFixed(0)} req/s ${busyCustomers}`)
    line(
      'paymentIntents.create with confirm (captured)',
      `${payments.toFixed(0)} PaymentIntents/s ${busyPayments}`
    )
    line('customers.list (limit 10)', `${reads.toFixed(0)} req/s ${busyReads}`)
  } finally {
    await sandbox.stop()
  }
}

/**
 * Heap growth per PaymentIntent (after GC in the sandbox process), measured
 * over PIS PaymentIntents after `warmup` others.
 */
async function memory(options: StartProcessOptions, warmup: number) {
  const sandbox = await start(options)
  try {
    const stripe = client(sandbox)
    await rate(warmup, () => confirmPayment(stripe))
    const before = await sandbox.stats({ gc: true })
    await rate(PIS, () => confirmPayment(stripe))
    const after = await sandbox.stats({ gc: true })
    return {
      perPi: (after.memory.heapUsed - before.memory.heapUsed) / PIS,
      heap: after.memory.heapUsed,
      rss: after.memory.rss,
    }
  } finally {
    await sandbox.stop()
  }
}

/** A burst of PIS PaymentIntents; what the sandbox process went through. */
async function paymentBurst(options: StartProcessOptions) {
  const sandbox = await start(options)
  try {
    const stripe = client(sandbox)
    await rate(1000, () => confirmPayment(stripe))
    await sandbox.stats()
    const perSecond = await rate(PIS, () => confirmPayment(stripe))
    // Let the last debounced write happen before reading the counters.
    await new Promise((resolve) => setTimeout(resolve, 500))
    return { perSecond, stats: await sandbox.stats() }
  } finally {
    await sandbox.stop()
  }
}

async function persistence(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stripe-sandbox-bench-'))
  const stateFile = join(dir, 'state.db')
  try {
    const inMemory = await paymentBurst({})
    const saved = await paymentBurst({ stateFile })
    const restarted = Date.now()
    const again = await start({ stateFile })
    const reload = Date.now() - restarted
    await again.stop()
    const p = saved.stats.persistence
    const blocked = ({ stats }: typeof saved) =>
      `${stats.eventLoop.maxDelayMs.toFixed(0)} ms / ${stats.eventLoop.p99DelayMs.toFixed(0)} ms`
    console.log(`Persistence (${PIS} PaymentIntents in a burst)`)
    line(
      'create+confirm, with / without a state file',
      `${saved.perSecond.toFixed(0)} / ${inMemory.perSecond.toFixed(0)} PaymentIntents/s`
    )
    line('event loop delay, longest / p99, with state file', blocked(saved))
    line('event loop delay, longest / p99, in memory', blocked(inMemory))
    line(
      'writes',
      `${p.rowsWritten} rows in ${p.chunks} chunks, ${p.busyMs.toFixed(0)} ms in all, ` +
        `longest ${p.longestChunkMs.toFixed(1)} ms`
    )
    line('write time per PaymentIntent', `${((p.busyMs / (PIS + 1000)) * 1000).toFixed(0)} µs`)
    line(
      'state file',
      `${mb(statSync(stateFile).size)} for ${PIS + 1000} PaymentIntents, reloaded in ${reload} ms`
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

interface Burst {
  p50: number
  p90: number
  p99: number
  max: number
  events: number
  /** from the last API response to the last delivery */
  drainMs: number
}

/** Percentile of sorted numbers. */
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]

/**
 * BURST_RATE PaymentIntents per second for BURST_SECONDS; every event goes to
 * one endpoint whose handler takes HANDLER_MS. Latency = arrival − the moment
 * the API response of the request that caused the event came back.
 */
async function webhookBurst(concurrency: number): Promise<Burst> {
  const answeredAt = new Map<string, number>()
  const arrivals: Array<[string, number]> = []
  let lastArrival = 0
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const arrived = performance.now()
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Stripe.Event
      arrivals.push([event.request?.id ?? '', arrived])
      lastArrival = arrived
      setTimeout(() => res.end(), HANDLER_MS)
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()))
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/stripe/webhook`
  const sandbox = await start({
    webhookConcurrency: concurrency,
    webhookEndpoints: [{ url, secret: 'whsec_bench' }],
  })
  try {
    const stripe = client(sandbox)
    const total = BURST_RATE * BURST_SECONDS
    const started = performance.now()
    const inFlight: Array<Promise<unknown>> = []
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / BURST_RATE
      const wait = due - performance.now()
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, wait))
      }
      inFlight.push(
        confirmPayment(stripe).then((pi) =>
          answeredAt.set(pi.lastResponse.requestId, performance.now())
        )
      )
    }
    await Promise.all(inFlight)
    const burstEnd = performance.now()
    const expected = total * 3
    let backlog = 1
    while (arrivals.length < expected || backlog > 0) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      const stats = await sandbox.stats()
      backlog = stats.webhookBacklog
    }
    // A delivery can beat the API response to the client: that counts as no delay.
    const latencies = arrivals
      .map(([requestId, arrived]) => Math.max(0, arrived - (answeredAt.get(requestId) ?? arrived)))
      .sort((a, b) => a - b)
    return {
      p50: pct(latencies, 50),
      p90: pct(latencies, 90),
      p99: pct(latencies, 99),
      max: latencies[latencies.length - 1],
      events: latencies.length,
      drainMs: Math.max(0, lastArrival - burstEnd),
    }
  } finally {
    await sandbox.stop()
    receiver.closeAllConnections()
    await new Promise<void>((resolve) => receiver.close(() => resolve()))
  }
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  console.log(`Stripe sandbox benchmark: ${cpu} × ${cpus().length}, Node ${process.version}`)
  console.log(
    `  stripe-node on loopback, ${CONCURRENCY} requests in flight, sandbox in its own process\n`
  )
  await throughput()

  // Bounded: measured once the event and key caps are full (the steady state).
  const full = Math.max(DEFAULT_MAX_EVENTS / 3, DEFAULT_MAX_KEYS_IN_MEMORY) + 1000
  const bounded = await memory({}, full)
  const unbounded = await memory({ maxEvents: 1e9, maxIdempotencyKeys: 1e9 }, 1000)
  console.log(`Memory (heap after GC, growth over ${PIS} PaymentIntents created and confirmed)`)
  line(
    `per PaymentIntent, default retention (after ${full})`,
    `${kb(bounded.perPi)} (heap ${mb(bounded.heap)}, RSS ${mb(bounded.rss)})`
  )
  line(
    'per PaymentIntent, retention lifted (as before)',
    `${kb(unbounded.perPi)} (heap ${mb(unbounded.heap)}, RSS ${mb(unbounded.rss)})`
  )

  await persistence()

  console.log(
    `Webhook latency (${BURST_RATE} PaymentIntents/s for ${BURST_SECONDS} s = ` +
      `${BURST_RATE * BURST_SECONDS * 3} events; the endpoint takes ${HANDLER_MS} ms each)`
  )
  for (const concurrency of [1, DEFAULT_WEBHOOK_CONCURRENCY]) {
    const burst = await webhookBurst(concurrency)
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
    line(
      `${concurrency} in flight per endpoint`,
      `p50 ${s(burst.p50)}, p90 ${s(burst.p90)}, p99 ${s(burst.p99)}, max ${s(burst.max)}; ` +
        `last one ${s(burst.drainMs)} after the burst`
    )
  }
}

await main()
