import { indexEntities } from '@adonisjs/core'
import { defineConfig } from '@adonisjs/core/app'

export default defineConfig({
  experimental: {},

  commands: [
    () => import('@adonisjs/core/commands'),
    () => import('@adonisjs/lucid/commands'),
    () => import('@adonisjs/session/commands'),
    () => import('#start/ace_commands'),
  ],

  /**
   * The app's commands (commands/) are listed by start/ace_commands.ts from a
   * manifest. Ace's own scan of the commands directory imports every command
   * file and all it imports on each `node ace` call, so it points at a folder
   * that does not exist.
   */
  directories: { commands: 'commands/.not-scanned' },

  /**
   * The local services provider comes first: it points the database and Stripe
   * configuration at the embedded PostgreSQL and the Stripe sandbox before any
   * other provider connects to them.
   */
  providers: [
    () => import('#providers/local_services_provider'),
    () => import('@adonisjs/core/providers/app_provider'),
    () => import('@adonisjs/core/providers/hash_provider'),
    {
      file: () => import('@adonisjs/core/providers/repl_provider'),
      environment: ['repl', 'test'],
    },
    () => import('@adonisjs/core/providers/vinejs_provider'),
    () => import('@adonisjs/core/providers/edge_provider'),
    () => import('@adonisjs/session/session_provider'),
    () => import('@adonisjs/shield/shield_provider'),
    () => import('@adonisjs/static/static_provider'),
    () => import('@adonisjs/lucid/database_provider'),
    () => import('@adonisjs/auth/auth_provider'),
    () => import('@adonisjs/limiter/limiter_provider'),
    () => import('@adonisjs/bouncer/bouncer_provider'),
    () => import('@adonisjs/mail/mail_provider'),
    () => import('#providers/jobs_provider'),
  ],

  preloads: [
    () => import('#start/routes'),
    () => import('#start/kernel'),
    () => import('#start/validator'),
    () => import('#start/view'),
  ],

  tests: {
    suites: [
      { name: 'unit', files: ['tests/unit/**/*.spec.{ts,js}'], timeout: 5000 },
      { name: 'sandbox', files: ['tests/sandbox/**/*.spec.{ts,js}'], timeout: 30000 },
      { name: 'functional', files: ['tests/functional/**/*.spec.{ts,js}'], timeout: 60000 },
      { name: 'browser', files: ['tests/browser/**/*.spec.{ts,js}'], timeout: 120000 },
    ],
    forceExit: false,
  },

  metaFiles: [
    { pattern: 'resources/views/**/*.edge', reloadServer: false },
    { pattern: 'public/**', reloadServer: false },
  ],

  hooks: {
    init: [indexEntities()],
  },
})
