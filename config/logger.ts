import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, destination, syncDestination, targets } from '@adonisjs/core/logger'
import type { InferLoggers } from '@adonisjs/core/types'
import { logContextMixin } from '#services/log_context'

/**
 * `node ace …`: stdout belongs to what the command prints (a table, JSON
 * for `| jq`), so the app log goes to stderr, and only errors by default:
 * a command reports its own failures in one line, and a Stripe warning
 * logged on the way must not print a raw JSON line before it. LOG_LEVEL
 * still turns them on.
 */
const inConsole = app.getEnvironment() === 'console'

function defaultLevel() {
  if (app.inTest) {
    return 'silent'
  }
  return inConsole ? 'error' : 'info'
}

const loggerConfig = defineConfig({
  default: 'app',
  loggers: {
    app: {
      enabled: true,
      name: 'crewpay',
      level: env.get('LOG_LEVEL', defaultLevel()),
      // Every line carries the request or job it belongs to, and the user
      mixin: logContextMixin,
      // Secrets never reach the logs, whatever object gets logged
      redact: {
        paths: [
          'password',
          '*.password',
          'card',
          '*.card',
          // Bank account numbers, wherever a form or Stripe parameters carry them
          'account_number',
          '*.account_number',
          '*.*.account_number',
          '*.*.*.account_number',
          'id_number',
          '*.id_number',
          'headers.authorization',
          'headers.cookie',
          '*.headers.authorization',
          '*.headers.cookie',
        ],
        censor: '[redacted]',
      },
      destination: inConsole
        ? destination({ dest: 2, sync: true })
        : !app.inProduction
          ? await syncDestination()
          : undefined,
      transport: {
        targets: targets()
          .pushIf(app.inProduction && !inConsole, targets.file({ destination: 1 }))
          .toArray(),
      },
    },
  },
})

export default loggerConfig

declare module '@adonisjs/core/types' {
  export interface LoggersList extends InferLoggers<typeof loggerConfig> {}
}
