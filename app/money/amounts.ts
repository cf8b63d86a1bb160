/*
|--------------------------------------------------------------------------
| Amounts: the one place text becomes minor units and back
|--------------------------------------------------------------------------
|
| Everything else in Crewpay handles integers in the currency's minor unit
| (cents for USD, yen for JPY). No floating point touches money here.
|
*/
import { currencyExponent } from '#money/currencies'

/** Stripe accepts at most 8 digits per amount */
export const MAX_AMOUNT = 99_999_999

export class AmountError extends Error {}

/**
 * Parses "1250", "1,250", "1,250.5", "12.50" into minor units of `currency`.
 * Refuses negatives, more decimals than the currency has ("12.5" in JPY,
 * "1.234" in USD), misplaced separators and amounts above Stripe's maximum.
 */
export function parseAmount(text: string, currency: string): number {
  const exponent = currencyExponent(currency)
  const value = String(text ?? '').trim()
  const unit = currency.toUpperCase()

  if (value === '') {
    throw new AmountError('Enter an amount.')
  }
  if (value.startsWith('-')) {
    throw new AmountError('The amount cannot be negative.')
  }
  const match = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/.exec(value)
  if (!match) {
    throw new AmountError(`"${value}" is not an amount (write it like ${example(exponent)}).`)
  }
  const whole = match[1].replaceAll(',', '')
  const fraction = match[2] ?? ''
  if (fraction.length > exponent) {
    throw new AmountError(
      exponent === 0
        ? `${unit} has no decimals: write a whole number.`
        : `${unit} amounts have at most ${exponent} decimals.`
    )
  }
  const digits = (whole + fraction.padEnd(exponent, '0')).replace(/^0+(?=\d)/, '')
  if (digits.length > String(MAX_AMOUNT).length || Number(digits) > MAX_AMOUNT) {
    throw new AmountError(
      `The amount is too large (at most ${formatAmount(MAX_AMOUNT, currency)}).`
    )
  }
  return Number(digits)
}

function example(exponent: number) {
  return exponent === 0 ? '1250' : `12.${'5'.padEnd(exponent, '0')}`
}

/** Minor units as decimal text without a symbol: 125000 usd → "1250.00", 1250 jpy → "1250" */
export function toDecimalText(amount: number, currency: string): string {
  assertMinorUnits(amount)
  const exponent = currencyExponent(currency)
  const sign = amount < 0 ? '-' : ''
  const digits = String(Math.abs(amount)).padStart(exponent + 1, '0')
  if (exponent === 0) {
    return sign + digits
  }
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`
}

const formatters = new Map<string, Intl.NumberFormat>()

/** One formatter per currency: building one costs ~40× formatting with it */
function formatterFor(currency: string) {
  const code = currency.toUpperCase()
  let formatter = formatters.get(code)
  if (!formatter) {
    const exponent = currencyExponent(currency)
    formatter = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: code,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    })
    formatters.set(code, formatter)
  }
  return formatter
}

/** Minor units for people: 125000 usd → "$1,250.00", 1250 jpy → "¥1,250", -500 usd → "-$5.00" */
export function formatAmount(amount: number, currency: string): string {
  // Intl takes a decimal string exactly, so no float rounding sneaks in
  return formatterFor(currency).format(toDecimalText(amount, currency) as unknown as number)
}

export function assertMinorUnits(amount: number) {
  if (!Number.isSafeInteger(amount)) {
    throw new TypeError(`Money amounts are integers in minor units, got ${amount}`)
  }
}
