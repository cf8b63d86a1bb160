import { type Obj } from './types.js'

export type ErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error'

export interface ErrorBody {
  type: ErrorType
  message: string
  code?: string
  decline_code?: string
  param?: string
  doc_url?: string
  charge?: string
  payment_intent?: Obj
  payment_method?: Obj
  setup_intent?: Obj
  [key: string]: unknown
}

export function docUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`
}

/**
 * An error rendered exactly as Stripe renders it. `stored` says whether the
 * idempotency layer keeps the response: Stripe does not store requests that
 * were rejected before the endpoint started executing. In the sandbox every
 * 400/404 is raised before anything changes, so only card errors (402, the
 * PaymentIntent and failed charge exist) and 500s are stored.
 */
export class StripeError extends Error {
  constructor(
    public status: number,
    public body: ErrorBody,
    public stored = true,
    public headers: Record<string, string> = {}
  ) {
    super(body.message)
  }
}

interface InvalidOptions {
  code?: string
  param?: string
  status?: number
  stored?: boolean
  extra?: Record<string, unknown>
}

export function invalidRequest(message: string, options: InvalidOptions = {}): StripeError {
  const body: ErrorBody = { type: 'invalid_request_error', message }
  if (options.code) {
    body.code = options.code
    body.doc_url = docUrl(options.code)
  }
  if (options.param) {
    body.param = options.param
  }
  Object.assign(body, options.extra)
  return new StripeError(options.status ?? 400, body, options.stored ?? false)
}

/** A parameter problem (same as invalidRequest; the name says where it comes from). */
export function paramError(message: string, options: Omit<InvalidOptions, 'stored'> = {}) {
  return invalidRequest(message, options)
}

/**
 * Stripe's "No such …" error: 404 for the object named in the URL, 400 when
 * a request parameter references an object that does not exist.
 */
export function resourceMissing(label: string, id: string, param = 'id'): StripeError {
  return invalidRequest(`No such ${label}: '${id}'`, {
    code: 'resource_missing',
    param,
    status: param === 'id' ? 404 : 400,
  })
}

export function unexpectedState(message: string, extra: Record<string, unknown> = {}) {
  return invalidRequest(message, { code: 'payment_intent_unexpected_state', extra })
}

export function balanceInsufficient(message: string): StripeError {
  return invalidRequest(message, { code: 'balance_insufficient' })
}
