import { DomainError, type DomainErrorKind } from '#exceptions/domain_error'

const KIND_OF_STATUS: Record<number, DomainErrorKind> = {
  402: 'declined',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  422: 'invalid',
  503: 'unavailable',
}

/**
 * @deprecated Throw a DomainError with a kind. Kept while the modules outside
 * the payments core move over: its HTTP status becomes a kind.
 */
export class ActionError extends DomainError {
  constructor(message: string, status: 402 | 403 | 404 | 409 | 422 | 503 = 422) {
    super(KIND_OF_STATUS[status], message)
  }
}
