import pg from 'pg'

/*
| Counts the statements the app sends to PostgreSQL (every pg client, every
| pool), so a test can hold a page or an action to its round trips.
*/

type Query = (...args: unknown[]) => unknown

/** Runs `work` and returns its result with the SQL text of every statement it sent */
export async function recordQueries<T>(work: () => Promise<T>) {
  const statements: string[] = []
  const prototype = pg.Client.prototype as unknown as { query: Query }
  const original = prototype.query
  prototype.query = function (this: unknown, ...args: unknown[]) {
    const [config] = args
    const text =
      typeof config === 'string' ? config : ((config as { text?: string } | null)?.text ?? '')
    statements.push(text)
    return original.apply(this, args)
  }
  try {
    const result = await work()
    return { result, statements }
  } finally {
    prototype.query = original
  }
}

/**
 * Waits until the app sends no statement for `quietMs` (work a previous step
 * started in the background: a webhook from the sandbox, a job), so that what
 * is recorded next is the measured request's own
 */
export async function settleQueries(quietMs = 300, attempts = 50) {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const { statements } = await recordQueries(
      () => new Promise((resolve) => setTimeout(resolve, quietMs))
    )
    if (statements.length === 0) {
      return
    }
  }
  throw new Error('The app never stopped sending statements')
}
