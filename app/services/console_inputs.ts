import { DateTime } from 'luxon'
import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import { CURRENCY_CODES } from '#money/currencies'
import Order from '#models/order'
import Payment, { PAYMENT_STATUSES } from '#models/payment'
import { LINE_STATUSES } from '#models/order_line'
import User, { normalizeEmail } from '#models/user'
import { DomainError } from '#exceptions/domain_error'
import { AmountError, parseAmount } from '#money/amounts'
import { freeText, freeTextMessage, freeTextProblem } from '#validators/text'

/**
 * Console arguments and flags, checked before anything is looked up or
 * changed. Messages name the argument and say what a good value looks like.
 */

export const CANCELLATION_REASONS = [
  'duplicate',
  'fraudulent',
  'requested_by_customer',
  'abandoned',
] as const
export const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const

/** "12.34" in the currency's units → minor units; never zero, never more decimals than it has */
export function parseAmountFlag(text: string | undefined, currency: string, flag = '--amount') {
  if (text === undefined || String(text).trim() === '') {
    throw new AmountError(`${flag} needs an amount, e.g. ${flag}=12.50.`)
  }
  const amount = parseAmount(String(text), currency)
  if (amount === 0) {
    throw new AmountError('The amount must be more than zero.')
  }
  return amount
}

/** A line given as --line=7 or --line=#7 (null when not given) */
export function parseLineFlag(text: string | undefined) {
  if (text === undefined) {
    return null
  }
  const match = /^#?(\d{1,9})$/.exec(String(text).trim())
  if (!match) {
    throw DomainError.invalid(`--line must be a line number from orders:show (7 or #7).`)
  }
  return Number(match[1])
}

/** An order given as 42, #42 or its PaymentIntent id (pi_…) */
export async function findOrderArg(text: string | undefined) {
  const value = plainArg(text, 'order argument')
  if (/^pi_[A-Za-z0-9]+$/.test(value)) {
    const payment = await Payment.findBy('stripePaymentIntentId', value)
    const order = payment?.orderId ? await Order.find(payment.orderId) : null
    if (!order) {
      throw DomainError.notFound(`No order has the PaymentIntent ${value}.`)
    }
    return order
  }
  const match = /^#?(\d{1,9})$/.exec(value)
  if (!match) {
    throw DomainError.invalid(
      `"${value}" is not an order: give its number (42 or #42) or its PaymentIntent id (pi_…).`
    )
  }
  const order = await Order.find(Number(match[1]))
  if (!order) {
    throw DomainError.notFound(`Order #${Number(match[1])} does not exist.`)
  }
  return order
}

/** A user by email, for filters; unknown emails are an error, not an empty list */
export async function findUserByEmail(email: string, role: 'employer' | 'contractor') {
  const user = await User.findBy('email', normalizeEmail(email))
  if (!user) {
    throw DomainError.notFound(`No user has the email ${email}.`)
  }
  if (user.role !== role) {
    throw DomainError.invalid(
      `${user.email} is not ${role === 'employer' ? 'an employer' : 'a contractor'}.`
    )
  }
  return user
}

/**
 * A console argument read as text (not through VineJS): refused with the
 * same rule as every form's free text, before it reaches a query.
 */
export function plainArg(text: string | undefined, name: string) {
  const value = String(text ?? '').trim()
  const problem = freeTextProblem(value)
  if (problem) {
    throw DomainError.invalid(freeTextMessage(problem, name))
  }
  return value
}

/** A contractor given as an email or a user id */
export async function findContractorArg(text: string | undefined) {
  const value = plainArg(text, 'contractor argument')
  if (/^\d{1,9}$/.test(value)) {
    const user = await User.find(Number(value))
    if (!user) {
      throw DomainError.notFound(`No user has the id ${value}.`)
    }
    if (user.role !== 'contractor') {
      throw DomainError.invalid(`User ${value} (${user.email}) is not a contractor.`)
    }
    return user
  }
  if (!value.includes('@')) {
    throw DomainError.invalid(`"${value}" is not a contractor: give their email or their user id.`)
  }
  return findUserByEmail(value, 'contractor')
}

/** An order matches a status when its payment or one of its lines has it */
export const ORDER_FILTER_STATUSES = [...new Set([...PAYMENT_STATUSES, ...LINE_STATUSES])]
const statusList = ORDER_FILTER_STATUSES.join(', ')

export const listOrdersValidator = vine.create({
  status: vine.array(vine.enum(ORDER_FILTER_STATUSES)).optional(),
  employer: vine.string().trim().email().optional(),
  contractor: vine.string().trim().email().optional(),
  limit: vine.number().withoutDecimals().range([1, 1000]),
})
listOrdersValidator.messagesProvider = new SimpleMessagesProvider({
  'status.*.enum': `--status must be one of: ${statusList} (several: comma-separated).`,
  'employer.email': '--employer must be an email address.',
  'contractor.email': '--contractor must be an email address.',
  'limit.number': '--limit must be a whole number from 1 to 1000.',
  'limit.withoutDecimals': '--limit must be a whole number from 1 to 1000.',
  'limit.range': '--limit must be a whole number from 1 to 1000.',
})

export const cancelValidator = vine.create({ reason: vine.enum(CANCELLATION_REASONS) })
cancelValidator.messagesProvider = new SimpleMessagesProvider({
  'reason.enum': `--reason must be one of: ${CANCELLATION_REASONS.join(', ')}.`,
})

export const refundValidator = vine.create({ reason: vine.enum(REFUND_REASONS).optional() })
refundValidator.messagesProvider = new SimpleMessagesProvider({
  'reason.enum': `--reason must be one of: ${REFUND_REASONS.join(', ')}.`,
})

export const debitValidator = vine.create({
  currency: vine.string().trim().toLowerCase().in(CURRENCY_CODES),
  reason: freeText({ min: 3, max: 500 }),
})
debitValidator.messagesProvider = new SimpleMessagesProvider({
  'currency.required': "--currency is required (the contractor's account currency, e.g. usd).",
  'currency.in': `--currency must be one of: ${CURRENCY_CODES.join(', ')}.`,
  'reason.required': '--reason is required: say why the contractor is debited.',
  'reason.minLength': '--reason must be at least 3 characters.',
  'reason.maxLength': '--reason must be at most 500 characters.',
  'reason.freeText.control': freeTextMessage('control', '--reason'),
  'reason.freeText.newline': freeTextMessage('newline', '--reason'),
  'reason.freeText.malformed': freeTextMessage('malformed', '--reason'),
})

/** --since: an ISO date or date-time (UTC when no zone is given) */
export function parseSince(text: string | undefined) {
  if (text === undefined) {
    return null
  }
  const since = DateTime.fromISO(String(text).trim(), { zone: 'utc' })
  if (!since.isValid) {
    throw DomainError.invalid(
      `--since must be an ISO date, e.g. 2026-11-01 or 2026-11-01T08:00:00Z (got "${text}").`
    )
  }
  return since
}
