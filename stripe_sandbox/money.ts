import { paramError } from './core/errors.js'

/*
 * Currencies, minimum amounts and Stripe's processing fees. All amounts are
 * integers in the currency's minor unit; no floats touch money here.
 */

/** Currencies without a minor unit: the amount is whole yen, won... */
export const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
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

/** Three-decimal currencies: the last digit must be 0. */
export const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd'])

/** Minimum charge amount by currency, in minor units (§13 of the fact sheet). */
export const MINIMUM_CHARGE: Record<string, number> = {
  usd: 50,
  aud: 50,
  cad: 50,
  eur: 50,
  gbp: 30,
  chf: 50,
  nzd: 50,
  sgd: 50,
  brl: 50,
  inr: 50,
  jpy: 50,
  hkd: 400,
  mxn: 1000,
  myr: 200,
  thb: 1000,
  aed: 200,
  bgn: 100,
  czk: 1500,
  dkk: 250,
  huf: 17500,
  nok: 300,
  pln: 200,
  ron: 200,
  sek: 300,
}

const SYMBOLS: Record<string, string> = { usd: '$', eur: '€', gbp: '£', jpy: '¥', cad: '$' }

/** Currencies the sandbox accepts (those with a known minimum, plus zero/three-decimal ones). */
export const SUPPORTED = new Set([
  ...Object.keys(MINIMUM_CHARGE),
  ...ZERO_DECIMAL,
  ...THREE_DECIMAL,
])

/**
 * Card processing fee: `bps` basis points of the amount, rounded half up to
 * the minor unit, plus a fixed part. Defaults to the US price (2.9% + 30¢).
 */
export const CARD_FEES: Record<string, { bps: number; fixed: number }> = {
  usd: { bps: 290, fixed: 30 },
  eur: { bps: 290, fixed: 25 },
  gbp: { bps: 290, fixed: 20 },
  jpy: { bps: 360, fixed: 0 },
  cad: { bps: 290, fixed: 30 },
  aud: { bps: 290, fixed: 30 },
}

export function assertCurrency(currency: string, param = 'currency'): string {
  const lower = currency.toLowerCase()
  if (!SUPPORTED.has(lower)) {
    throw paramError(
      `Invalid currency: ${currency}. Stripe currently supports these currencies: ` +
        [...SUPPORTED].join(', '),
      { code: 'invalid_currency', param }
    )
  }
  return lower
}

export function minorDigits(currency: string): number {
  if (ZERO_DECIMAL.has(currency)) {
    return 0
  }
  return THREE_DECIMAL.has(currency) ? 3 : 2
}

/** "$0.50 usd", "¥50 jpy": the way Stripe words minimum-amount errors. */
export function formatAmount(amount: number, currency: string): string {
  const digits = minorDigits(currency)
  const symbol = SYMBOLS[currency] ?? ''
  const major = digits === 0 ? String(amount) : (amount / 10 ** digits).toFixed(digits)
  return `${symbol}${major} ${currency}`
}

/** Validates a charge amount: minimum per currency, 8 digits max, three-decimal rule. */
export function assertChargeAmount(amount: number, currency: string, param = 'amount'): void {
  const minimum = MINIMUM_CHARGE[currency] ?? 1
  if (amount < minimum) {
    throw paramError(`Amount must be at least ${formatAmount(minimum, currency)}`, {
      code: 'amount_too_small',
      param,
    })
  }
  if (amount > 99_999_999) {
    throw paramError(`Amount must be no more than ${formatAmount(99_999_999, currency)}`, {
      code: 'amount_too_large',
      param,
    })
  }
  if (THREE_DECIMAL.has(currency) && amount % 10 !== 0) {
    throw paramError(`Invalid ${param}: amounts in ${currency} must end in 0`, { param })
  }
}

/** Round-half-up integer division for non-negative integers. */
function divRound(numerator: bigint, denominator: bigint): number {
  return Number((numerator * 2n + denominator) / (denominator * 2n))
}

/** Stripe's processing fee for a card charge of `amount` (rounding: half up, per charge). */
export function cardFee(amount: number, currency: string): number {
  const price = CARD_FEES[currency] ?? CARD_FEES.usd
  const fixed = ZERO_DECIMAL.has(currency) && !(currency in CARD_FEES) ? 0 : price.fixed
  return divRound(BigInt(amount) * BigInt(price.bps), 10_000n) + fixed
}

/** `value * part / whole`, rounded half up: proportional reversals and fee refunds. */
export function proportion(value: number, part: number, whole: number): number {
  if (whole === 0) {
    return 0
  }
  return divRound(BigInt(value) * BigInt(part), BigInt(whole))
}

/** ACH Direct Debit: 0.8%, rounded half up, capped at $5.00 (stripe.com/pricing, US). */
export const ACH_FEE = { bps: 80, cap: 500 }

export function achFee(amount: number): number {
  return Math.min(divRound(BigInt(amount) * BigInt(ACH_FEE.bps), 10_000n), ACH_FEE.cap)
}
