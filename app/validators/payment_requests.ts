import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { DateTime } from 'luxon'
import { AmountError, formatAmount, parseAmount } from '#money/amounts'
import { CURRENCIES, CURRENCY_CODES, isSupportedCurrency } from '#money/currencies'
import { PAYMENT_METHOD_ID, PAYMENT_METHOD_ID_MAX_LENGTH } from '#actions/billing/list_cards'
import { freeText } from '#validators/text'

/** How far ahead a due date may be */
export const MAX_DUE_DAYS = 730

/**
 * Decimal text in a currency (the form's `currency` field, or the request's
 * given as `meta.currency`), read by the money module: the one place amounts
 * are parsed. Below Stripe's minimum charge nothing could ever be paid.
 */
const amountInCurrency = vine.createRule(
  (value: unknown, options: { what: string }, field: FieldContext) => {
    if (typeof value !== 'string') {
      return
    }
    const currency = currencyOf(field)
    if (!isSupportedCurrency(currency)) {
      // The currency field reports its own error
      return
    }
    let amount: number
    try {
      amount = parseAmount(value, currency)
    } catch (error) {
      if (error instanceof AmountError) {
        field.report(error.message, 'amount', field)
        return
      }
      throw error
    }
    const minimum = CURRENCIES[currency].minimumCharge
    if (amount < minimum) {
      field.report(
        `The ${options.what} must be at least ${formatAmount(minimum, currency)}.`,
        'amount',
        field
      )
    }
  }
)

function currencyOf(field: FieldContext) {
  const given = field.meta?.currency ?? field.parent?.currency
  return String(given ?? '')
    .trim()
    .toLowerCase()
}

/** The amount in minor units once the rule above accepted it (0 is never stored) */
function amountField(what: string) {
  return vine
    .string()
    .trim()
    .maxLength(30)
    .use(amountInCurrency({ what }))
    .transform((value, field) => {
      const currency = currencyOf(field)
      return isSupportedCurrency(currency) ? parseAmount(value, currency) : 0
    })
}

/** YYYY-MM-DD, a real day, not before today (the business clock's, given as meta.today) */
const dueDay = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string') {
    return
  }
  const day = DateTime.fromISO(value, { zone: 'utc' })
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !day.isValid) {
    field.report('Enter the due date as YYYY-MM-DD, e.g. 2026-12-31.', 'dueDate', field)
    return
  }
  const today = String(field.meta?.today ?? DateTime.utc().toISODate())
  if (value < today) {
    field.report('The due date cannot be in the past.', 'dueDate', field)
    return
  }
  const latest = DateTime.fromISO(today, { zone: 'utc' }).plus({ days: MAX_DUE_DAYS }).toISODate()!
  if (value > latest) {
    field.report('The due date must be within two years.', 'dueDate', field)
  }
})

/** POST /my/payment-requests */
export const createPaymentRequestValidator = vine.create({
  employer_email: vine.string().trim().maxLength(254).email(),
  description: freeText({ min: 3, max: 2000, multiline: true }),
  currency: vine.string().trim().toLowerCase().in(CURRENCY_CODES),
  amount: amountField('amount'),
  due_date: vine.string().trim().maxLength(10).use(dueDay()),
  minimum_payment: amountField('minimum payment').optional(),
})

createPaymentRequestValidator.messagesProvider = new SimpleMessagesProvider(
  {
    'required': 'Enter the {{ field }}.',
    'string': 'The {{ field }} must be text.',
    'minLength': 'The {{ field }} must be at least {{ min }} characters long.',
    'maxLength': 'The {{ field }} must be at most {{ max }} characters long.',
    'employer_email.email': "Enter the employer's email address, e.g. name@example.com.",
    'employer_email.required': "Enter the employer's email address.",
    'amount.required': 'Enter the amount, e.g. 120.00.',
    'amount.maxLength': 'Enter the amount, e.g. 120.00.',
    'minimum_payment.maxLength': 'Enter the minimum payment, e.g. 20.00, or leave it empty.',
    'due_date.required': 'Enter the due date (YYYY-MM-DD).',
    'due_date.maxLength': 'Enter the due date as YYYY-MM-DD, e.g. 2026-12-31.',
    'currency.required': 'Choose a currency.',
    'currency.in': `Choose one of: ${CURRENCY_CODES.map((code) => code.toUpperCase()).join(', ')}.`,
  },
  {
    employer_email: "employer's email",
    due_date: 'due date',
    minimum_payment: 'minimum payment',
  }
)

/**
 * POST /pay/:token. `payment_method`: a saved card or bank account (pm_…),
 * or "new" with `new_payment_method` (from Stripe.js, or a test card in
 * sandbox mode) and `save_card`; a bank debit needs `authorize_debit`. The
 * amount is read in the request's currency (meta.currency).
 */
export const payRequestValidator = vine.create({
  amount: amountField('amount'),
  payment_method: vine
    .string()
    .trim()
    .maxLength(PAYMENT_METHOD_ID_MAX_LENGTH)
    .regex(/^(new|pm_[A-Za-z0-9_]+)$/),
  new_payment_method: vine
    .string()
    .trim()
    .maxLength(PAYMENT_METHOD_ID_MAX_LENGTH)
    .regex(PAYMENT_METHOD_ID)
    .optional()
    .requiredWhen('payment_method', '=', 'new'),
  save_card: vine.accepted().optional(),
  authorize_debit: vine.accepted().optional(),
  form_token: vine.string().trim().uuid().optional(),
})

payRequestValidator.messagesProvider = new SimpleMessagesProvider(
  {
    'amount.required': 'Enter the amount to pay, e.g. 120.00.',
    'amount.string': 'Enter the amount to pay, e.g. 120.00.',
    'amount.maxLength': 'Enter the amount to pay, e.g. 120.00.',
    'payment_method.required': 'Choose how to pay.',
    'payment_method.regex': 'Choose one of your saved payment methods, or a new card.',
    'payment_method.maxLength': 'Choose one of your saved payment methods, or a new card.',
    'payment_method.string': 'Choose one of your saved payment methods, or a new card.',
    'new_payment_method.required': 'Enter the new card.',
    'new_payment_method.regex': 'This is not a card reference from Stripe.',
    'new_payment_method.maxLength': 'This is not a card reference from Stripe.',
    'new_payment_method.string': 'This is not a card reference from Stripe.',
    'form_token.string': 'This form has expired. Reload the page and try again.',
    'form_token.uuid': 'This form has expired. Reload the page and try again.',
    'accepted': 'Tick the box to confirm.',
  },
  {}
)
