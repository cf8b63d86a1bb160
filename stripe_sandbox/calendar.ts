/*
 * Business days on the sandbox clock (UTC): Saturdays and Sundays do not
 * count. Bank holidays are not modelled.
 */

const DAY = 24 * 60 * 60

export function isBusinessDay(unix: number): boolean {
  const weekday = new Date(unix * 1000).getUTCDay()
  return weekday !== 0 && weekday !== 6
}

/**
 * The moment `days` business days after `from`, at the same time of day:
 * each following day that is a weekday counts as one. A debit started on
 * Friday with 4 days settles on Thursday; one started on Saturday, on Thursday too.
 */
export function addBusinessDays(from: number, days: number): number {
  let at = from
  let left = days
  while (left > 0) {
    at += DAY
    if (isBusinessDay(at)) {
      left -= 1
    }
  }
  return at
}
