/*
|--------------------------------------------------------------------------
| Environment variables
|--------------------------------------------------------------------------
|
| Every variable is optional in development and tests: `npm run dev` on a
| fresh clone works without a .env file. The README lists each variable
| with its default.
|
*/
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { Env } from '@adonisjs/core/env'
import { Secret } from '@adonisjs/core/helpers'

const env = await Env.create(new URL('../', import.meta.url), {
  NODE_ENV: Env.schema.enum.optional(['development', 'production', 'test'] as const),
  PORT: Env.schema.number.optional(),
  HOST: Env.schema.string.optional({ format: 'host' }),
  APP_URL: Env.schema.string.optional({ format: 'url', tld: false }),
  APP_KEY: Env.schema.secret.optional(),
  LOG_LEVEL: Env.schema.string.optional(),
  SESSION_DRIVER: Env.schema.enum.optional(['cookie', 'memory'] as const),
  TRUSTED_PROXIES: Env.schema.string.optional(),

  /*
  | Database: DATABASE_URL, or DB_*; neither means the embedded PostgreSQL
  */
  DATABASE_URL: Env.schema.string.optional(),
  TEST_DATABASE_URL: Env.schema.string.optional(),
  DB_HOST: Env.schema.string.optional(),
  DB_PORT: Env.schema.number.optional(),
  DB_USER: Env.schema.string.optional(),
  DB_PASSWORD: Env.schema.string.optional(),
  DB_DATABASE: Env.schema.string.optional(),
  EMBEDDED_DB_PORT: Env.schema.number.optional(),

  /*
  | Stripe: a secret key means real Stripe; none means the local sandbox
  */
  STRIPE_SECRET_KEY: Env.schema.secret.optional(),
  STRIPE_PUBLISHABLE_KEY: Env.schema.string.optional(),
  STRIPE_WEBHOOK_SECRET: Env.schema.secret.optional(),
  STRIPE_CONNECT_WEBHOOK_SECRET: Env.schema.secret.optional(),
  STRIPE_SANDBOX_URL: Env.schema.string.optional({ format: 'url', tld: false }),

  /*
  | Marketplace policy
  */
  PLATFORM_FEE_PERCENT: Env.schema.string.optional(),
  PLATFORM_FEE_FIXED: Env.schema.number.optional(),
  CONNECT_COUNTRY: Env.schema.string.optional(),
  HOLD_EXPIRY_DELIVERED: Env.schema.enum.optional(['capture', 'release'] as const),
  LINE_ACCEPT_DAYS: Env.schema.number.optional(),
  AUTO_APPROVE_DAYS: Env.schema.number.optional(),
  STRIPE_FEE_PASSTHROUGH: Env.schema.boolean.optional(),
})

/**
 * The HTTP server listens where HOST says, `localhost` by default as the
 * README promises (AdonisJS itself would listen on every interface). Set
 * HOST=0.0.0.0 to be reachable from other machines (a container, a proxy
 * elsewhere).
 */
export const DEFAULT_HOST = 'localhost'
if (!env.get('HOST')) {
  env.set('HOST', DEFAULT_HOST)
  process.env.HOST = DEFAULT_HOST
}

/**
 * Outside production a missing APP_KEY is generated once and kept under tmp/,
 * so sessions survive restarts without any setup.
 */
if (!env.get('APP_KEY')) {
  if (env.get('NODE_ENV') === 'production') {
    throw new Error(
      'APP_KEY is required in production (generate one with `node ace generate:key --show`)'
    )
  }
  const keyFile = new URL('../tmp/app_key', import.meta.url)
  let key: string
  try {
    key = readFileSync(keyFile, 'utf8').trim()
  } catch {
    key = randomBytes(32).toString('base64url')
    mkdirSync(new URL('../tmp/', import.meta.url), { recursive: true })
    writeFileSync(keyFile, key, { mode: 0o600 })
  }
  env.set('APP_KEY', new Secret(key))
}

export default env
