import { timingSafeEqual } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import app from '@adonisjs/core/services/app'
import type { MetricsConfig } from '#config/metrics'
import { renderMetrics } from '#services/metrics'

function sameSecret(given: string, expected: string) {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

function isLoopback(ip: string) {
  return ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1'
}

/** GET /metrics: Prometheus text (config/metrics.ts says who may read it) */
export default class MetricsController {
  async show({ request, response }: HttpContext) {
    const config = app.config.get<MetricsConfig>('metrics')
    if (config.protect) {
      const bearer = /^Bearer (.+)$/.exec(request.header('authorization') ?? '')?.[1]
      const allowed = config.token
        ? bearer !== undefined && sameSecret(bearer, config.token)
        : isLoopback(request.ip())
      if (!allowed) {
        response.header('WWW-Authenticate', 'Bearer realm="metrics"')
        return response.unauthorized('Metrics need a bearer token.')
      }
    }
    const { contentType, body } = await renderMetrics()
    response.header('Content-Type', contentType)
    return response.send(body)
  }
}
