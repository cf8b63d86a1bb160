import env from '#start/env'
import app from '@adonisjs/core/services/app'

/**
 * GET /metrics. In production it answers only with `Authorization: Bearer
 * <METRICS_TOKEN>`, or, without a token configured, only to requests from
 * this machine (a local Prometheus agent). Open in development and tests.
 */
const metricsConfig = {
  protect: app.inProduction,
  token: env.get('METRICS_TOKEN')?.release() ?? null,
}

export type MetricsConfig = typeof metricsConfig

export default metricsConfig
