import { DomainError } from '#exceptions/domain_error'

/**
 * A refusal about one field of a form (an amount above the balance due,
 * below the minimum): a DomainError like any other (JSON, console), which
 * the form's controller shows beside the field it names.
 */
export class FieldRefusal extends DomainError {
  constructor(
    readonly field: string,
    message: string
  ) {
    super('invalid', message)
  }
}
