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

edge.global('formatAmount', formatAmount)

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
