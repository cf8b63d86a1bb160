/*
|--------------------------------------------------------------------------
| Edge globals
|--------------------------------------------------------------------------
|
| Money is formatted in views through the money module only.
|
*/
import edge from 'edge.js'
import { DateTime } from 'luxon'
import { formatAmount } from '#money/amounts'
import { TONE_CLASS, nextWords, type Tone } from '#domain/order_summary'
import { devClockNow } from '#services/dev_clock'

edge.global('formatAmount', formatAmount)

/** The badge class of a status's tone (your turn, waiting, done, problem) */
edge.global('toneClass', (tone: Tone) => TONE_CLASS[tone])

/** The sandbox clock's time for the development panel; null in production or with real Stripe */
edge.global('devClockNow', devClockNow)

/** Who acts next, for the viewer ("You", "the contractor") */
edge.global('nextWords', nextWords)

/** "Nov 22, 2026, 14:05 UTC" for a luxon DateTime, JS Date or unix seconds */
edge.global('formatDateTime', (value: DateTime | Date | number | string | null | undefined) => {
  if (value === null || value === undefined) {
    return '—'
  }
  const date =
    typeof value === 'number'
      ? DateTime.fromSeconds(value)
      : typeof value === 'string'
        ? DateTime.fromISO(value)
        : value instanceof Date
          ? DateTime.fromJSDate(value)
          : value
  return date.toUTC().toFormat("LLL d, yyyy, HH:mm 'UTC'")
})

edge.global('formatDate', (value: DateTime | number | string | null | undefined) => {
  if (value === null || value === undefined) {
    return '—'
  }
  const date =
    typeof value === 'number'
      ? DateTime.fromSeconds(value)
      : typeof value === 'string'
        ? DateTime.fromISO(value)
        : value
  return date.toUTC().toFormat('LLL d, yyyy')
})

/**
 * The money bar of an order (where the employer's money went) as SVG
 * rectangles: widths are attributes, so the page needs no inline style
 * (the CSP forbids them). Out of 1000 units, to the paid amount.
 */
edge.global(
  'moneyBarParts',
  (breakdown: {
    paid: number
    refunded: number
    platformFee: number
    contractors: { amount: number }[]
  }) => {
    const whole = Math.max(breakdown.paid, 1)
    const parts: { kind: string; x: number; width: number }[] = []
    let x = 0
    const add = (kind: string, amount: number) => {
      const width = Math.round((amount * 1000) / whole)
      if (width > 0) {
        parts.push({ kind, x, width })
        x += width
      }
    }
    for (const share of breakdown.contractors) {
      add('contractor', share.amount)
    }
    add('platform', breakdown.platformFee)
    add('refunded', breakdown.refunded)
    return parts
  }
)
