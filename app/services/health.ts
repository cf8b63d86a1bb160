import { readFileSync } from 'node:fs'
import db from '@adonisjs/lucid/services/db'
import app from '@adonisjs/core/services/app'
import { stripe, stripeConfig } from '#stripe/client'

const PROBE_TIMEOUT_MS = 3000

let version: string | null = null
function appVersion() {
  version ??= JSON.parse(readFileSync(app.makePath('package.json'), 'utf8')).version as string
  return version
}

async function probe(check: () => Promise<unknown>) {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), PROBE_TIMEOUT_MS)
      }),
    ])
    return { ok: true, latency_ms: Math.round(performance.now() - started) }
  } catch {
    // The error text may carry hosts or credentials: it is not shown
    return { ok: false, latency_ms: Math.round(performance.now() - started) }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * App version and reachability of the database and Stripe. Only the
 * database decides "healthy": without Stripe the app still serves pages and
 * explains that payments are unavailable.
 */
export async function checkHealth() {
  const [database, payments] = await Promise.all([
    probe(() => db.rawQuery('SELECT 1')),
    probe(() => stripe().balance.retrieve({}, { maxNetworkRetries: 0, timeout: PROBE_TIMEOUT_MS })),
  ])
  return {
    healthy: database.ok,
    app: { name: 'crewpay', version: appVersion() },
    database,
    stripe: { ...payments, mode: stripeConfig().mode },
  }
}
