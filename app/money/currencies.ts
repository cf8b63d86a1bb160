/*
|--------------------------------------------------------------------------
| Currencies Crewpay takes payments in
|--------------------------------------------------------------------------
|
| `exponent` is the number of decimals of the minor unit Stripe counts in:
| 2 for USD (cents), 0 for JPY (yen are whole). `minimumCharge` is Stripe's
| minimum charge amount in minor units.
|
*/
export interface Currency {
  code: string
  name: string
  exponent: number
  minimumCharge: number
}

export const CURRENCIES: Record<string, Currency> = {
  usd: { code: 'usd', name: 'US dollar', exponent: 2, minimumCharge: 50 },
  eur: { code: 'eur', name: 'Euro', exponent: 2, minimumCharge: 50 },
  gbp: { code: 'gbp', name: 'Pound sterling', exponent: 2, minimumCharge: 30 },
  cad: { code: 'cad', name: 'Canadian dollar', exponent: 2, minimumCharge: 50 },
  jpy: { code: 'jpy', name: 'Japanese yen', exponent: 0, minimumCharge: 50 },
}

export const CURRENCY_CODES = Object.keys(CURRENCIES)

/**
 * Zero-decimal currencies Stripe knows beyond the ones we take payments in,
 * so amounts Stripe reports (balances) in those are still shown right.
 */
const OTHER_ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
])

export function isSupportedCurrency(code: string) {
  return Object.hasOwn(CURRENCIES, code.toLowerCase())
}

export function currencyExponent(code: string) {
  const lower = code.toLowerCase()
  if (Object.hasOwn(CURRENCIES, lower)) {
    return CURRENCIES[lower].exponent
  }
  return OTHER_ZERO_DECIMAL.has(lower) ? 0 : 2
}

export function getCurrency(code: string): Currency {
  const currency = CURRENCIES[code.toLowerCase()]
  if (!currency) {
    throw new Error(`Unsupported currency "${code}"`)
  }
  return currency
}
