import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, syncDestination, targets } from '@adonisjs/core/logger'
import type { InferLoggers } from '@adonisjs/core/types'
import { logContextMixin } from '#services/log_context'

const loggerConfig = defineConfig({
  default: 'app',
  loggers: {
    app: {
      enabled: true,
      name: 'crewpay',
      level: env.get('LOG_LEVEL', app.inTest ? 'silent' : 'info'),
      // Every line carries the request or job it belongs to, and the user
      mixin: logContextMixin,
      // Secrets never reach the logs, whatever object gets logged
      redact: {
        paths: [
          'password',
          '*.password',
          'card',
          '*.card',
          'account_number',
          '*.account_number',
          'id_number',
          '*.id_number',
          'headers.authorization',
          'headers.cookie',
          '*.headers.authorization',
          '*.headers.cookie',
        ],
        censor: '[redacted]',
      },
      destination: !app.inProduction ? await syncDestination() : undefined,
      transport: {
        targets: targets()
          .pushIf(app.inProduction, targets.file({ destination: 1 }))
          .toArray(),
      },
    },
  },
})

export default loggerConfig

declare module '@adonisjs/core/types' {
  export interface LoggersList extends InferLoggers<typeof loggerConfig> {}
}
