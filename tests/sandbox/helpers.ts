import { randomBytes } from 'node:crypto'
import http, { type IncomingHttpHeaders } from 'node:http'
import { type AddressInfo } from 'node:net'
import Stripe from 'stripe'
import { type Sandbox, type SandboxOptions, startSandbox } from '../../stripe_sandbox/index.js'

/*
 * Shared helpers for the sandbox suite. Every group starts its own sandbox
 * on a free port; tests that check balances use a fresh API key (= a fresh
 * platform account) so they never see each other's money.
 */

export interface Harness {
  sandbox: Sandbox
  /** a client for a brand-new platform account */
  client(key?: string): Stripe
}

export async function startHarness(options: SandboxOptions = {}): Promise<Harness> {
  const sandbox = await startSandbox({ port: 0, log: false, ...options })
  return {
    sandbox,
    client: (key = newKey()) => clientFor(sandbox.port, key),
  }
}

export function newKey(): string {
  return `sk_test_${randomBytes(12).toString('hex')}`
}

export function clientFor(port: number, key: string): Stripe {
  return new Stripe(key, {
    host: '127.0.0.1',
    port,
    protocol: 'http',
    maxNetworkRetries: 0,
  })
}

/** Advances the sandbox clock through the API (as the app does). */
export async function advance(stripe: Stripe, seconds: number): Promise<number> {
  const response = await stripe.rawRequest('POST', '/v1/test_helpers/sandbox/advance_clock', {
    seconds,
  })
  return (response as unknown as { now: number }).now
}

export const DAY = 24 * 60 * 60

export interface SandboxSettings {
  object: 'sandbox_settings'
  ach_processing_days: number
  verification_delay_seconds: number
}

/** Changes this platform's sandbox timings (ACH processing days, verification delay). */
export async function sandboxSettings(
  stripe: Stripe,
  settings: { ach_processing_days?: number; verification_delay_seconds?: number } = {}
): Promise<SandboxSettings> {
  const method = Object.keys(settings).length > 0 ? 'POST' : 'GET'
  const response = await stripe.rawRequest(method, '/v1/test_helpers/sandbox/settings', settings)
  return response as unknown as SandboxSettings
}

/** Awaits a promise that must reject with a Stripe error; returns the error. */
export async function stripeError(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) {
      return error
    }
    throw error
  }
  throw new Error('expected the Stripe call to fail, it succeeded')
}

/** Parameters that make a US individual Custom account fully verified at once (§8.4). */
export function immediateVerificationParams(): Stripe.AccountUpdateParams {
  return {
    business_type: 'individual',
    business_profile: { mcc: '7299', url: 'https://accessible.stripe.com' },
    individual: {
      first_name: 'Jenny',
      last_name: 'Rosen',
      email: 'jenny@example.com',
      phone: '0000000000',
      dob: { day: 1, month: 1, year: 1902 },
      address: {
        line1: 'address_full_match_sync',
        city: 'San Francisco',
        state: 'CA',
        postal_code: '94103',
        country: 'US',
      },
      id_number: '222222222',
    },
    tos_acceptance: { date: 1_700_000_000, ip: '203.0.113.7', user_agent: 'tests' },
    external_account: {
      object: 'bank_account',
      country: 'US',
      currency: 'usd',
      routing_number: '110000000',
      account_number: '000123456789',
      account_holder_name: 'Jenny Rosen',
    } as unknown as string,
  }
}

/** A Custom connected account with active card_payments and transfers. */
export async function activeAccount(stripe: Stripe): Promise<Stripe.Account> {
  const account = await stripe.accounts.create({
    type: 'custom',
    country: 'US',
    email: 'jenny@example.com',
    capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
  })
  return stripe.accounts.update(account.id, immediateVerificationParams())
}

/** Puts `amount` USD straight into the platform's available balance (bypassPending card). */
export async function fundPlatform(stripe: Stripe, amount: number): Promise<Stripe.PaymentIntent> {
  return stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    payment_method: 'pm_card_bypassPending',
    allowed_payment_method_types: ['card'],
    confirm: true,
  })
}

export interface BalanceAmounts {
  available: number
  pending: number
}

export async function usdBalance(stripe: Stripe, account?: string): Promise<BalanceAmounts> {
  const balance = await stripe.balance.retrieve({}, account ? { stripeAccount: account } : {})
  const pick = (list: Array<{ amount: number; currency: string }>) =>
    list.find((entry) => entry.currency === 'usd')?.amount ?? 0
  return { available: pick(balance.available), pending: pick(balance.pending) }
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders
  body: string
}

/** A tiny local HTTP server standing in for the app's webhook route. */
export class WebhookReceiver {
  received: ReceivedWebhook[] = []
  /** status to answer with; change it to simulate failures */
  respondWith: (hit: ReceivedWebhook) => number = () => 200
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const hit = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      this.received.push(hit)
      res.writeHead(this.respondWith(hit))
      res.end()
      this.notify()
    })
  })
  private waiters: Array<() => void> = []

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()))
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/stripe/webhook`
  }

  events(): Stripe.Event[] {
    return this.received.map((hit) => JSON.parse(hit.body) as Stripe.Event)
  }

  /** Waits until `predicate` holds for the received webhooks (or times out). */
  async waitFor(predicate: (events: Stripe.Event[]) => boolean, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs
    while (!predicate(this.events())) {
      if (Date.now() > deadline) {
        throw new Error(`webhooks did not arrive in time (got ${this.received.length})`)
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  private notify() {
    const waiters = this.waiters
    this.waiters = []
    waiters.forEach((resolve) => resolve())
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/** Raw HTTP request to the sandbox (for what the SDK cannot express). */
export function rawRequest(
  port: number,
  options: { method: string; path: string; headers?: Record<string, string>; body?: string }
): Promise<{ status: number; headers: IncomingHttpHeaders; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method,
        path: options.path,
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text) })
        })
      }
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

export function bearer(key: string, extra: Record<string, string> = {}) {
  return {
    'Authorization': `Bearer ${key}`,
    'Content-Type': 'application/x-www-form-urlencoded',
    ...extra,
  }
}
