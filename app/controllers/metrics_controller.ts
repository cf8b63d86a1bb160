import type { HttpContext } from '@adonisjs/core/http'
import { renderMetrics } from '#services/metrics'
import { mayReadMetrics } from '#services/metrics_access'

/** GET /metrics: Prometheus text (config/metrics.ts says who may read it) */
export default class MetricsController {
  async show({ request, response }: HttpContext) {
    if (!mayReadMetrics(request.header('authorization'), request.ip())) {
      response.header('WWW-Authenticate', 'Bearer realm="metrics"')
      return response.unauthorized('Metrics need a bearer token.')
    }
    const { contentType, body } = await renderMetrics()
    response.header('Content-Type', contentType)
    return response.send(body)
  }
}
