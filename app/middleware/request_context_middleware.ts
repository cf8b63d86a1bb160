import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { runWithLogContext } from '#services/log_context'
import { httpRequestDuration } from '#services/metrics'

/**
 * First of every request: its log lines carry its id (and, once known, the
 * user's), and its duration is measured when the response has gone out, by
 * route pattern (never the raw URL: ids would make endless labels).
 */
export default class RequestContextMiddleware {
  handle(ctx: HttpContext, next: NextFn) {
    const started = performance.now()
    const raw = ctx.response.response
    raw.once('finish', () => {
      httpRequestDuration.observe(
        {
          method: ctx.request.method(),
          route: ctx.route?.pattern ?? 'unmatched',
          status: String(raw.statusCode),
        },
        (performance.now() - started) / 1000
      )
    })
    return runWithLogContext({ requestId: ctx.request.id() }, () => next())
  }
}
