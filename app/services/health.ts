import db from '@adonisjs/lucid/services/db'
import app from '@adonisjs/core/services/app'

const PROBE_TIMEOUT_MS = 3000

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

/** App version and reachability of what the app cannot work without */
export async function checkHealth() {
  const database = await probe(() => db.rawQuery('SELECT 1'))
  return {
    healthy: database.ok,
    app: { name: 'crewpay', version: app.version?.toString() ?? '0.0.0' },
    database,
  }
}
