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
