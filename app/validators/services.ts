import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { AmountError, formatAmount, parseAmount } from '#money/amounts'
import { CURRENCIES, CURRENCY_CODES, isSupportedCurrency } from '#money/currencies'
import { freeText } from '#validators/text'

/**
 * The price is decimal text in the chosen currency ("120.00", "1,250"); it is
 * checked with the money module, the one place amounts are parsed, against
 * the currency sent alongside. Below Stripe's minimum charge a service could
 * never be ordered, so that is refused too.
 */
const priceInCurrency = vine.createRule(
  (value: unknown, _options: undefined, field: FieldContext) => {
    if (typeof value !== 'string') {
      return
    }
    const currency = String(field.parent?.currency ?? '')
      .trim()
      .toLowerCase()
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
        `The price must be at least ${formatAmount(minimum, currency)}.`,
        'amount',
        field
      )
    }
  }
)

export const createServiceValidator = vine.create({
  title: freeText({ min: 3, max: 120 }),
  description: freeText({ min: 10, max: 5000, multiline: true }),
  currency: vine.string().trim().toLowerCase().in(CURRENCY_CODES),
  // Minor units once valid: the action stores what the validator read
  price: vine
    .string()
    .trim()
    .maxLength(30)
    .use(priceInCurrency())
    .transform((value, field) => {
      const currency = String(field.parent.currency).trim().toLowerCase()
      // An unsupported currency fails validation on its own field; 0 is never stored
      return isSupportedCurrency(currency) ? parseAmount(value, currency) : 0
    }),
})

createServiceValidator.messagesProvider = new SimpleMessagesProvider(
  {
    'required': 'Enter the {{ field }}.',
    'string': 'The {{ field }} must be text.',
    'minLength': 'The {{ field }} must be at least {{ min }} characters long.',
    'maxLength': 'The {{ field }} must be at most {{ max }} characters long.',
    'price.required': 'Enter a price, e.g. 120.00.',
    'price.maxLength': 'Enter a price, e.g. 120.00.',
    'currency.required': 'Choose a currency.',
    'currency.in': `Choose one of: ${CURRENCY_CODES.map((code) => code.toUpperCase()).join(', ')}.`,
  },
  {}
)

/** A price bound of the listing's filter: decimal text in the chosen currency, as minor units */
const priceBound = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string') {
    return
  }
  const currency = String(field.parent?.currency ?? '')
    .trim()
    .toLowerCase()
  if (!isSupportedCurrency(currency)) {
    field.report(
      'Choose a currency to filter by price (amounts differ between currencies).',
      'price.currency',
      field
    )
    return
  }
  try {
    parseAmount(value, currency)
  } catch (error) {
    if (error instanceof AmountError) {
      field.report(error.message, 'amount', field)
      return
    }
    throw error
  }
})

/** A price bound once valid: minor units of the chosen currency */
const priceBoundField = () =>
  vine
    .string()
    .trim()
    .maxLength(30)
    .use(priceBound())
    .transform((value, field) => {
      const currency = String(field.parent.currency).trim().toLowerCase()
      // Only reached when the rule above accepted the amount in this currency
      return isSupportedCurrency(currency) ? parseAmount(value, currency) : 0
    })

/**
 * GET /services?q=&currency=&min=&max=: words to look for in the title,
 * description and contractor's name, and a price range in one currency.
 */
export const serviceSearchValidator = vine.create({
  q: freeText({ min: 0, max: 100 }).optional(),
  currency: vine.string().trim().toLowerCase().in(CURRENCY_CODES).optional(),
  min: priceBoundField().optional(),
  max: priceBoundField().optional(),
})

serviceSearchValidator.messagesProvider = new SimpleMessagesProvider(
  {
    'string': 'The {{ field }} must be text.',
    'maxLength': 'The {{ field }} must be at most {{ max }} characters long.',
    'currency.in': `Choose one of: ${CURRENCY_CODES.map((code) => code.toUpperCase()).join(', ')}.`,
  },
  { q: 'search', min: 'lowest price', max: 'highest price' }
)
