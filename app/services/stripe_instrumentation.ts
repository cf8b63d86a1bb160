import Stripe from 'stripe'
import logger from '@adonisjs/core/services/logger'
import { stripeErrors, stripeOperation, stripeRequestDuration } from '#services/metrics'

type HttpClient = NonNullable<Stripe.StripeConfig['httpClient']>
type HttpClientResponse = Awaited<ReturnType<HttpClient['makeRequest']>>

function header(headers: object, name: string) {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name)
  const value = entry?.[1]
  return typeof value === 'string' ? value : Array.isArray(value) ? String(value[0]) : undefined
}

/**
 * The Stripe SDK's HTTP client, measured: every network attempt (retries
 * included) is timed by operation and outcome, a failure is counted by
 * Stripe's error code, and each call writes one log line with Stripe's
 * request id and the idempotency key (never the parameters or the body).
 *
 * Why the HTTP client rather than the SDK's `request`/`response` events: those
 * are not emitted for connection failures and timeouts (the outage an
 * operator most needs to see), and the error code is only in their body when
 * `emitEventBodies` is on, which would also hand every request's parameters
 * (bank account numbers) to the listeners.
 */
export function instrumentedHttpClient(
  inner: HttpClient = Stripe.createNodeHttpClient()
): HttpClient {
  return {
    getClientName: () => inner.getClientName(),

    async makeRequest(host, port, path, method, headers, requestData, protocol, timeout) {
      const operation = stripeOperation(method, path)
      const call = {
        operation,
        idempotencyKey: header(headers, 'idempotency-key'),
        account: header(headers, 'stripe-account'),
      }
      const started = performance.now()
      const seconds = () => (performance.now() - started) / 1000

      let response: HttpClientResponse
      try {
        response = await inner.makeRequest(
          host,
          port,
          path,
          method,
          headers,
          requestData,
          protocol,
          timeout
        )
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'connection_error'
        stripeRequestDuration.observe({ operation, outcome: 'connection_error' }, seconds())
        stripeErrors.inc({ operation, code })
        logger.warn(
          { stripe: { ...call, durationMs: Math.round(seconds() * 1000), code } },
          `Stripe ${operation}: no answer (${code})`
        )
        throw error
      }

      const status = response.getStatusCode()
      const requestId = header(response.getHeaders(), 'request-id')
      const duration = seconds()
      const fields = { ...call, status, requestId, durationMs: Math.round(duration * 1000) }
      if (status < 400) {
        stripeRequestDuration.observe({ operation, outcome: 'ok' }, duration)
        const level = method === 'GET' ? 'debug' : 'info'
        logger[level]({ stripe: fields }, `Stripe ${operation}: ${status}`)
        return response
      }

      // Read the error body once, here, for its code; the SDK gets the same JSON
      const body = response.toJSON()
      const measured: HttpClientResponse = Object.create(response)
      measured.toJSON = () => body
      const outcome = status >= 500 ? 'server_error' : 'client_error'
      stripeRequestDuration.observe({ operation, outcome }, duration)
      let code = `http_${status}`
      try {
        const json = (await body) as { error?: { code?: string; type?: string } }
        code = json.error?.code ?? json.error?.type ?? code
      } catch {
        // The SDK reports an unreadable body itself
      }
      stripeErrors.inc({ operation, code })
      logger.warn({ stripe: { ...fields, code } }, `Stripe ${operation}: ${status} ${code}`)
      return measured
    },
  }
}
