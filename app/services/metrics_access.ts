import { timingSafeEqual } from 'node:crypto'
import app from '@adonisjs/core/services/app'
import type { MetricsConfig } from '#config/metrics'

function sameSecret(given: string, expected: string) {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

function isLoopback(ip: string | undefined) {
  return ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1'
}

/**
 * Who may read the metrics (config/metrics.ts): anyone in development; in
 * production the bearer token when one is configured, else this machine only.
 */
export function mayReadMetrics(authorization: string | undefined, ip: string | undefined) {
  const config = app.config.get<MetricsConfig>('metrics')
  if (!config.protect) {
    return true
  }
  if (config.token) {
    const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1]
    return bearer !== undefined && sameSecret(bearer, config.token)
  }
  return isLoopback(ip)
}
