/*
 * What the benchmark needs in its database: the schema, the demo marketplace
 * (employer with saved cards, onboarded contractors with services, orders in
 * several states — placed through the app's own actions and the sandbox, by
 * `node ace db:seed`), and an employer whose orders grow to 1k / 100k / 1M
 * rows, copied from a real order with generate_series.
 */
import { join } from 'node:path'
import pg from 'pg'
import { BUILD, developmentEnvironment, run } from './servers.js'

export const PASSWORD = 'crewpay-demo-2026'
export const EMPLOYER = 'employer@demo.crewpay.test'
export const CONTRACTOR = 'ada@demo.crewpay.test'
export const SCALE_EMPLOYER = 'scale@bench.crewpay.test'

export interface Seeded {
  employerId: number
  /** one of the employer's orders (for /orders/:id and `orders:show`) */
  orderId: number
  /** a service of the contractor's, in US dollars (for POST /orders) */
  serviceId: number
  /** PaymentIntent ids the database knows (for webhook events) */
  paymentIntents: string[]
  scaleEmployerId: number
}

/** Migrations (from the build, in production) and the demo marketplace (in development) */
export async function seed(env: NodeJS.ProcessEnv, databaseUrl: string): Promise<Seeded> {
  const ace = join(BUILD, 'ace.js')
  await run(process.execPath, [ace, 'migration:run', '--force'], { cwd: BUILD, env })
  await run(process.execPath, [ace, 'db:seed'], { cwd: BUILD, env: developmentEnvironment(env) })
  return withClient(databaseUrl, async (client) => {
    const one = async (sql: string, values: unknown[] = []) => {
      const { rows } = await client.query(sql, values)
      if (!rows[0]) {
        throw new Error(`The demo data has no row for: ${sql}`)
      }
      return rows[0]
    }
    const { id: employerId } = await one('SELECT id FROM users WHERE email = $1', [EMPLOYER])
    const { id: orderId } = await one(
      `SELECT o.id FROM orders o WHERE o.employer_id = $1
         AND (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id) = 1
         AND (SELECT count(*) FROM payments p WHERE p.order_id = o.id) = 1
       ORDER BY o.id LIMIT 1`,
      [employerId]
    )
    const { id: serviceId } = await one(
      `SELECT s.id FROM services s JOIN users u ON u.id = s.contractor_id
       WHERE u.email = $1 AND s.currency = 'usd' AND s.active ORDER BY s.price LIMIT 1`,
      [CONTRACTOR]
    )
    const { rows } = await client.query(
      'SELECT stripe_payment_intent_id AS id FROM payments WHERE stripe_payment_intent_id IS NOT NULL'
    )
    const scaleEmployerId = await copyEmployer(client, employerId)
    return {
      employerId,
      orderId,
      serviceId,
      paymentIntents: rows.map((row) => row.id),
      scaleEmployerId,
    }
  })
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/**
 * `INSERT INTO table SELECT … FROM source` copying every column of the rows
 * `source` yields (as `t`, with the series number as `g`), except `id`:
 * `overrides` give some columns an expression; other columns under a unique
 * index get a fresh value (uuid), a suffixed one (text) or NULL.
 */
async function copyRows(
  client: pg.Client,
  table: string,
  source: string,
  overrides: Record<string, string>
) {
  const { rows: columns } = await client.query(
    `SELECT column_name AS name, data_type AS type FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER'
     ORDER BY ordinal_position`,
    [table]
  )
  const { rows: unique } = await client.query(
    `SELECT DISTINCT a.attname AS name FROM pg_index i
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = $1::regclass AND i.indisunique AND NOT i.indisprimary`,
    [table]
  )
  const uniqueNames = new Set(unique.map((row) => row.name))
  const names: string[] = []
  const values: string[] = []
  for (const { name, type } of columns) {
    if (name === 'id' && !(name in overrides)) {
      continue
    }
    names.push(`"${name}"`)
    if (name in overrides) {
      values.push(overrides[name])
    } else if (!uniqueNames.has(name)) {
      values.push(`t."${name}"`)
    } else if (type === 'uuid') {
      values.push(`CASE WHEN t."${name}" IS NULL THEN NULL ELSE gen_random_uuid() END`)
    } else if (type === 'text' || type === 'character varying') {
      values.push(`CASE WHEN t."${name}" IS NULL THEN NULL ELSE t."${name}" || '_b' || g END`)
    } else {
      values.push('NULL')
    }
  }
  await client.query(
    `INSERT INTO ${table} (${names.join(', ')}) SELECT ${values.join(', ')} FROM ${source}`
  )
}

/** A second employer (same password), whose orders the scale steps grow */
async function copyEmployer(client: pg.Client, employerId: number): Promise<number> {
  await copyRows(client, 'users', `users t, (SELECT 1 AS g) s WHERE t.id = ${employerId}`, {
    email: `'${SCALE_EMPLOYER}'`,
    full_name: `'Scale Employer'`,
  })
  const {
    rows: [{ id }],
  } = await client.query('SELECT id FROM users WHERE email = $1', [SCALE_EMPLOYER])
  await copyRows(
    client,
    'user_profiles',
    `user_profiles t, (SELECT 1 AS g) s WHERE t.user_id = ${employerId}`,
    { user_id: String(id) }
  )
  return id
}

/**
 * Grows the scale employer's orders to `total`, each a copy of the demo
 * employer's order `templateId` (its line and its payment too), newest
 * first one minute apart, then refreshes the planner's statistics.
 */
export async function growOrders(
  databaseUrl: string,
  seeded: Seeded,
  total: number
): Promise<number> {
  return withClient(databaseUrl, async (client) => {
    const {
      rows: [{ count }],
    } = await client.query('SELECT count(*)::int AS count FROM orders WHERE employer_id = $1', [
      seeded.scaleEmployerId,
    ])
    const missing = total - count
    if (missing <= 0) {
      return count
    }
    await client.query('BEGIN')
    // The copies point at rows that exist: skip the per-row foreign key triggers when allowed
    await client.query('SAVEPOINT fast')
    await client.query('SET LOCAL session_replication_role = replica').then(
      () => client.query('RELEASE SAVEPOINT fast'),
      () => client.query('ROLLBACK TO SAVEPOINT fast')
    )
    await client.query(
      `CREATE TEMP TABLE copies ON COMMIT DROP AS
       SELECT g, nextval(pg_get_serial_sequence('orders', 'id'))::int AS order_id
       FROM generate_series(${count + 1}, ${total}) g`
    )
    const from = (table: string, column: string) =>
      `${table} t, copies c WHERE t.${column} = ${seeded.orderId}`
    const when = `now() - make_interval(mins => c.g)`
    await copyRows(client, 'orders', from('orders', 'id'), {
      id: 'c.order_id',
      employer_id: String(seeded.scaleEmployerId),
      created_at: when,
      updated_at: when,
    })
    await copyRows(client, 'order_lines', from('order_lines', 'order_id'), {
      order_id: 'c.order_id',
      created_at: when,
      updated_at: when,
    })
    await copyRows(client, 'payments', from('payments', 'order_id'), {
      order_id: 'c.order_id',
      employer_id: String(seeded.scaleEmployerId),
      created_at: when,
      updated_at: when,
    })
    await client.query('COMMIT')
    await client.query('VACUUM ANALYZE orders, order_lines, payments')
    return total
  })
}
