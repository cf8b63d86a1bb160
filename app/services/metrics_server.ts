import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { renderMetrics } from '#services/metrics'
import { mayReadMetrics } from '#services/metrics_access'

/**
 * GET /metrics of a worker process (`node ace jobs:work --metrics-port`):
 * the jobs it ran and the events it applied are counted in that process,
 * not in the web processes. Same access rule as the app's /metrics.
 */
export async function startMetricsServer(port: number, host = '0.0.0.0') {
  const server = createServer(async (request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end()
      return
    }
    if (!mayReadMetrics(request.headers.authorization, request.socket.remoteAddress)) {
      response
        .writeHead(401, { 'WWW-Authenticate': 'Bearer realm="metrics"' })
        .end('Metrics need a bearer token.')
      return
    }
    try {
      const { contentType, body } = await renderMetrics()
      response.writeHead(200, { 'Content-Type': contentType }).end(body)
    } catch {
      response.writeHead(500).end()
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
