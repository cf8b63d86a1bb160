import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import PaymentRequest from '#models/payment_request'
import { DomainError } from '#exceptions/domain_error'
import { PAYMENT_REQUEST_STATUSES } from '#domain/payment_request_summary'
import { plainArg } from '#services/console_inputs'

/** A payment request given as 7 or #7 */
export async function findRequestArg(text: string | undefined) {
  const value = plainArg(text, 'payment request argument')
  const match = /^#?(\d{1,9})$/.exec(value)
  if (!match) {
    throw DomainError.invalid(`"${value}" is not a payment request: give its number (7 or #7).`)
  }
  const request = await PaymentRequest.find(Number(match[1]))
  if (!request) {
    throw DomainError.notFound(`Payment request #${Number(match[1])} does not exist.`)
  }
  return request
}

export const listRequestsValidator = vine.create({
  status: vine.array(vine.enum(PAYMENT_REQUEST_STATUSES)).optional(),
  limit: vine.number().withoutDecimals().range([1, 1000]),
})
listRequestsValidator.messagesProvider = new SimpleMessagesProvider({
  'status.*.enum': `--status must be one of: ${PAYMENT_REQUEST_STATUSES.join(', ')} (several: comma-separated).`,
  'limit.number': '--limit must be a whole number from 1 to 1000.',
  'limit.withoutDecimals': '--limit must be a whole number from 1 to 1000.',
  'limit.range': '--limit must be a whole number from 1 to 1000.',
})

/** --payment-method: a PaymentMethod id or "default" */
export function parsePaymentMethodFlag(text: string | undefined) {
  if (text === undefined) {
    return 'default'
  }
  const value = plainArg(text, '--payment-method')
  if (value !== 'default' && !/^pm_[A-Za-z0-9_]{1,61}$/.test(value)) {
    throw DomainError.invalid(
      '--payment-method must be a saved PaymentMethod id (pm_…) or "default".'
    )
  }
  return value
}
