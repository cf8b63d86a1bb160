import { Exception } from '@adonisjs/core/exceptions'

/**
 * What went wrong, in domain terms; how it is shown (a page, a flash, JSON,
 * a console line) is decided in one place, by the kind:
 *
 * - not_found:   no such record, or not one this user may see
 * - forbidden:   the user may see it but not do this
 * - conflict:    the record is not in a state that allows this (now)
 * - invalid:     the input is wrong
 * - declined:    the payment provider refused (a card decline)
 * - unavailable: the payment provider did not answer; the outcome may be unknown
 *
 * `retryable`: trying the same thing again later may work (and is safe).
 */
export type DomainErrorKind =
  'not_found' | 'forbidden' | 'conflict' | 'invalid' | 'declined' | 'unavailable'

const HTTP_STATUS: Record<DomainErrorKind, number> = {
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  invalid: 422,
  declined: 402,
  unavailable: 503,
}

export class DomainError extends Exception {
  readonly kind: DomainErrorKind
  readonly retryable: boolean

  constructor(kind: DomainErrorKind, message: string, options: { retryable?: boolean } = {}) {
    super(message, { status: HTTP_STATUS[kind], code: `E_${kind.toUpperCase()}` })
    this.kind = kind
    this.retryable = options.retryable ?? kind === 'unavailable'
  }

  static notFound(message: string) {
    return new DomainError('not_found', message)
  }

  static forbidden(message: string) {
    return new DomainError('forbidden', message)
  }

  static conflict(message: string) {
    return new DomainError('conflict', message)
  }

  static invalid(message: string) {
    return new DomainError('invalid', message)
  }

  static declined(message: string) {
    return new DomainError('declined', message)
  }

  static unavailable(message: string) {
    return new DomainError('unavailable', message, { retryable: true })
  }
}
