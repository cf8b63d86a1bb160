/*
 * Throughput of the Stripe sandbox through the official SDK on loopback.
 *
 *   npm run bench:sandbox            (node --import=@poppinss/ts-exec stripe_sandbox/bench.ts)
 *   BENCH_REQUESTS=20000 BENCH_CONCURRENCY=64 npm run bench:sandbox
 *
 * The sandbox runs in a worker thread (its own event loop, i.e. one core);
 * the SDK clients run on the main thread, so the figures measure the server,
 * not the client competing with it for the same loop.
 */
import { cpus } from 'node:os'
import { isMainThread, parentPort, Worker } from 'node:worker_threads'
import Stripe from 'stripe'
import { startSandbox } from './index.js'

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32)

/** Worker side: run the sandbox; report how busy its event loop was between two asks. */
async function serve(): Promise<void> {
  const sandbox = await startSandbox({ port: 0, log: false })
  parentPort!.postMessage({ port: sandbox.port })
  let mark = performance.eventLoopUtilization()
  parentPort!.on('message', (message: string) => {
    if (message === 'utilization') {
      const now = performance.eventLoopUtilization()
      parentPort!.postMessage({
        utilization: performance.eventLoopUtilization(now, mark).utilization,
      })
      mark = now
    } else {
      void sandbox.stop().then(() => process.exit(0))
    }
  })
}

function serverUtilization(worker: Worker): Promise<number> {
  return new Promise((resolve) => {
    worker.once('message', (message: { utilization: number }) => resolve(message.utilization))
    worker.postMessage('utilization')
  })
}

interface Measure {
  perSecond: number
  /** share of the time the sandbox's event loop (its one core) was busy */
  serverBusy: number
}

/** Runs `total` operations with `concurrency` in flight. */
async function measure(
  worker: Worker,
  total: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>
): Promise<Measure> {
  await serverUtilization(worker)
  let next = 0
  const started = performance.now()
  const lane = async () => {
    while (next < total) {
      await op(next++)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
  const seconds = (performance.now() - started) / 1000
  return { perSecond: total / seconds, serverBusy: await serverUtilization(worker) }
}

function report(label: string, result: Measure, requestsPerOp = 1): string {
  const rate = result.perSecond * requestsPerOp
  const busy = `${(result.serverBusy * 100).toFixed(0)}% busy`
  const capacity = (rate / Math.max(result.serverBusy, 0.01)).toFixed(0)
  return `  ${label.padEnd(34)} ${rate.toFixed(0).padStart(6)} req/s  (sandbox ${busy}, ≈ ${capacity} req/s at 100%)`
}

async function main(): Promise<void> {
  const worker = new Worker(new URL(import.meta.url))
  const port = await new Promise<number>((resolve) =>
    worker.once('message', (message: { port: number }) => resolve(message.port))
  )
  const stripe = new Stripe('sk_test_bench', {
    host: '127.0.0.1',
    port,
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
  })
  // Warm up both sides (JIT), then measure.
  await measure(worker, 3000, CONCURRENCY, () =>
    stripe.customers.create({ email: 'w@example.com' })
  )

  const customers = await measure(worker, REQUESTS, CONCURRENCY, (i) =>
    stripe.customers.create({ email: `bench${i}@example.com`, metadata: { i: String(i) } })
  )
  const holds = await measure(worker, REQUESTS / 2, CONCURRENCY, async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 10_000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      capture_method: 'manual',
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    await stripe.paymentIntents.capture(pi.id)
  })
  const reads = await measure(worker, REQUESTS, CONCURRENCY, () =>
    stripe.customers.list({ limit: 10 })
  )

  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  console.log(`Stripe sandbox benchmark: ${cpu} × ${cpus().length}, Node ${process.version}`)
  console.log(
    `  stripe-node SDK on loopback, ${CONCURRENCY} requests in flight, sandbox in a worker`
  )
  console.log(report('customers.create', customers))
  console.log(report('hold + capture (2 requests each)', holds, 2))
  console.log(`  ${''.padEnd(34)} ${holds.perSecond.toFixed(0).padStart(6)} payments/s`)
  console.log(report('customers.list (limit 10)', reads))
  worker.postMessage('stop')
  await new Promise((resolve) => worker.once('exit', resolve))
}

if (isMainThread) {
  await main()
} else {
  await serve()
}
