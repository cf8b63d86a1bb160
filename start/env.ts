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
  SESSION_DRIVER: Env.schema.enum.optional(['database', 'cookie', 'memory'] as const),
  TRUSTED_PROXIES: Env.schema.string.optional(),
  /** Production: HTTP processes `node bin/server.js` runs (bin/server.ts), 1 by default */
  WEB_CONCURRENCY: Env.schema.number.optional(),

  /*
  | Database: DATABASE_URL, or DB_*; neither means the embedded PostgreSQL
  */
  DATABASE_URL: Env.schema.string.optional(),
  TEST_DATABASE_URL: Env.schema.string.optional(),
  DB_HOST: Env.schema.string.optional(),
  DB_PORT: Env.schema.number.optional(),
  DB_POOL_MAX: Env.schema.number.optional(),
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
  /** Only `npm run bench` sets it: a production build talking to the sandbox */
  STRIPE_SANDBOX_IN_PRODUCTION: Env.schema.enum.optional(['benchmark'] as const),

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
  DISPUTE_RECOVERY: Env.schema.enum.optional(['reverse', 'debit', 'none'] as const),
  DISPUTE_FEE_PAID_BY: Env.schema.enum.optional(['platform', 'contractor'] as const),

  /*
  | Background jobs
  */
  JOBS_IN_PROCESS: Env.schema.boolean.optional(),
  RECONCILE_AUTOFIX: Env.schema.boolean.optional(),

  /*
  | Mail: SMTP or Resend; none (outside production) means the mail catcher
  */
  MAIL_MAILER: Env.schema.enum.optional(['smtp', 'resend'] as const),
  MAIL_FROM_ADDRESS: Env.schema.string.optional({ format: 'email' }),
  MAIL_FROM_NAME: Env.schema.string.optional(),
  SMTP_HOST: Env.schema.string.optional(),
  SMTP_PORT: Env.schema.number.optional(),
  SMTP_SECURE: Env.schema.boolean.optional(),
  SMTP_USERNAME: Env.schema.string.optional(),
  SMTP_PASSWORD: Env.schema.secret.optional(),
  RESEND_API_KEY: Env.schema.secret.optional(),
  MAIL_CATCHER_SMTP_PORT: Env.schema.number.optional(),
  MAIL_CATCHER_WEB_PORT: Env.schema.number.optional(),

  /*
  | Metrics: the bearer token GET /metrics asks for in production
  */
  METRICS_TOKEN: Env.schema.secret.optional(),
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
  // env.set wrote the Secret's "[redacted]" to process.env: a child process
  // (the test runner `node ace test` spawns) must inherit the key itself
  process.env.APP_KEY = key
}

/** Production sends real mail: SMTP_HOST, or MAIL_MAILER=resend with its key */
if (env.get('NODE_ENV') === 'production') {
  const mailer = env.get('MAIL_MAILER', 'smtp')
  if (mailer === 'smtp' && !env.get('SMTP_HOST')) {
    throw new Error(
      'SMTP_HOST is required in production (or MAIL_MAILER=resend and RESEND_API_KEY)'
    )
  }
  if (mailer === 'resend' && !env.get('RESEND_API_KEY')) {
    throw new Error('RESEND_API_KEY is required with MAIL_MAILER=resend')
  }
}

export default env
