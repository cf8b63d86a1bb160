import { type AddressInfo } from 'node:net'
import { DEFAULT_RETRY_DELAYS_MS } from './core/webhooks.js'
import { type PersistenceStats } from './core/persistence.js'
import { Engine, type WebhookEndpointOption } from './engine.js'
import { registerLedger } from './ledger.js'
import { defaultCurrencyOf, registerAccounts } from './resources/accounts.js'
import { registerApplicationFees } from './resources/application_fees.js'
import { registerBalance } from './resources/balance.js'
import { registerCharges } from './resources/charges.js'
import { registerCustomers } from './resources/customers.js'
import { registerDisputes } from './resources/disputes.js'
import { registerEvents } from './resources/events.js'
import { registerExternalAccounts } from './resources/external_accounts.js'
import { registerFiles } from './resources/files.js'
import { registerPaymentIntents } from './resources/payment_intents.js'
import { registerPaymentMethods } from './resources/payment_methods.js'
import { registerPayouts } from './resources/payouts.js'
import { registerRefunds } from './resources/refunds.js'
import { registerSetupIntents } from './resources/setup_intents.js'
import { registerTestHelpers } from './resources/test_helpers.js'
import { registerTransfers } from './resources/transfers.js'
import { registerWebhookEndpoints } from './resources/webhook_endpoints.js'
import { createServer } from './server.js'
import { configureSettings } from './settings.js'

export { DEFAULT_WEBHOOK_CONCURRENCY, signPayload } from './core/webhooks.js'
export { DEFAULT_MAX_EVENTS } from './engine.js'
export { DEFAULT_MAX_KEYS_IN_MEMORY } from './core/idempotency.js'
export { ACH_PROCESSING_DAYS, VERIFICATION_DELAY_SECONDS } from './settings.js'
export type { WebhookEndpointOption }

export interface SandboxOptions {
  /** 0 = any free port */
  port?: number
  /** default 127.0.0.1 */
  host?: string
  /** persist state in this SQLite file (written incrementally); in memory when absent */
  stateFile?: string
  /** endpoints that receive events of every platform (connect=true: connected-account events) */
  webhookEndpoints?: WebhookEndpointOption[]
  /** one line per request; default console.log; false silences */
  log?: ((line: string) => void) | false
  /** webhook retry delays in ms after a failed delivery (default 1 s, 5 s, 30 s) */
  webhookRetryDelaysMs?: number[]
  /** business days an ACH debit stays processing (default 4) */
  achProcessingDays?: number
  /** seconds an asynchronous account verification takes (default 3) */
  verificationDelaySeconds?: number
  /** webhook deliveries in flight per endpoint (default 16) */
  webhookConcurrency?: number
  /** events kept, oldest dropped first (default 20,000; and 30 days) */
  maxEvents?: number
  /** stored idempotent responses kept in memory (default 20,000) */
  maxIdempotencyKeys?: number
}

export interface SandboxStats {
  /** objects in the store (events included) */
  objects: number
  events: number
  idempotencyKeysInMemory: number
  scheduledJobs: number
  /** webhook deliveries waiting or in flight */
  webhookBacklog: number
  persistence: PersistenceStats
}

export interface Sandbox {
  url: string
  port: number
  stop(): Promise<void>
  /** moves sandbox time forward and runs everything that became due; returns the new unix time */
  advanceClock(seconds: number): Promise<number>
  /** sandbox time, unix seconds */
  now(): number
  stats(): SandboxStats
}

/** Builds the engine with every resource registered (used by startSandbox and tests). */
export function createEngine(options: SandboxOptions = {}): Engine {
  const log =
    options.log === false ? () => {} : (options.log ?? ((line: string) => console.log(line)))
  const engine = new Engine({
    stateFile: options.stateFile,
    webhookEndpoints: options.webhookEndpoints ?? [],
    log,
    webhookRetryDelaysMs: options.webhookRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    webhookConcurrency: options.webhookConcurrency,
    maxEvents: options.maxEvents,
    maxIdempotencyKeys: options.maxIdempotencyKeys,
  })
  configureSettings(engine, {
    achProcessingDays: options.achProcessingDays,
    verificationDelaySeconds: options.verificationDelaySeconds,
  })
  registerLedger(engine, (acct) => defaultCurrencyOf(engine, acct))
  registerAccounts(engine)
  registerExternalAccounts(engine)
  registerCustomers(engine)
  registerPaymentMethods(engine)
  registerSetupIntents(engine)
  registerPaymentIntents(engine)
  registerCharges(engine)
  registerRefunds(engine)
  registerDisputes(engine)
  registerTransfers(engine)
  registerApplicationFees(engine)
  registerBalance(engine)
  registerPayouts(engine)
  registerEvents(engine)
  registerWebhookEndpoints(engine)
  registerFiles(engine)
  registerTestHelpers(engine)
  engine.load()
  return engine
}

/** Starts the Stripe sandbox HTTP server. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const engine = createEngine(options)
  const server = createServer(engine)
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  engine.url = url
  let stopping: Promise<void> | null = null
  return {
    url,
    port,
    now: () => engine.now(),
    stats: () => engine.stats(),
    advanceClock: async (seconds: number) => engine.advanceClock(seconds),
    stop: () => {
      stopping ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
        await engine.stop()
      })()
      return stopping
    },
  }
}
