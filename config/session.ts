import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, stores } from '@adonisjs/session'
import { throttledDatabaseStore } from '#services/session_store'

/**
 * Sessions live in the database (table `sessions`) outside tests: logging
 * out deletes the row, so a copied cookie is worth nothing afterwards, and a
 * user's sessions can be ended (other devices, after a password reset).
 * Tests use the memory store, except those about the database store.
 */
export const sessionSettings = {
  enabled: true,
  cookieName: 'crewpay-session',
  clearWithBrowser: false,
  age: '2h',
  cookie: {
    path: '/',
    httpOnly: true,
    secure: app.inProduction,
    sameSite: 'lax' as const,
  },
}

export const sessionStores = {
  cookie: stores.cookie(),
  // The package's database store, its expiry pushed forward at most every few minutes
  database: throttledDatabaseStore({ tableName: 'sessions' }),
}

const sessionConfig = defineConfig({
  ...sessionSettings,
  store: env.get('SESSION_DRIVER', app.inTest ? 'memory' : 'database'),
  stores: sessionStores,
})

export default sessionConfig
