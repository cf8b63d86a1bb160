import { AsyncLocalStorage } from 'node:async_hooks'
import { DateTime, IANAZone } from 'luxon'

/*
|--------------------------------------------------------------------------
| The time zone times are shown in
|--------------------------------------------------------------------------
|
| Each user has one (settings; new users get their browser's at signup, UTC
| otherwise). A request runs in its user's zone (display_time_zone
| middleware), a mail is rendered in its recipient's (notify.ts), and the
| view globals formatDateTime/formatDate read it here, so no template has to
| pass it along. Outside both (the console, guests): UTC.
|
*/

export const DEFAULT_TIME_ZONE = 'UTC'

const storage = new AsyncLocalStorage<string>()

/** Runs `work` with times shown in `zone` (an unknown zone falls back to UTC) */
export function withTimeZone<T>(zone: string | null | undefined, work: () => T): T {
  return storage.run(zone && isTimeZone(zone) ? zone : DEFAULT_TIME_ZONE, work)
}

/** The zone of the current request or mail */
export function displayZone() {
  return storage.getStore() ?? DEFAULT_TIME_ZONE
}

/** The zones to choose from (IANA names), UTC first, with `current` among them */
export function timeZoneNames(current?: string): string[] {
  const names = [
    DEFAULT_TIME_ZONE,
    ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC'),
  ]
  return current && !names.includes(current) ? [...names, current].sort() : names
}

/**
 * Whether `zone` is an IANA zone name the server can show times in (aliases
 * included: browsers say "Asia/Kolkata" where the list has "Asia/Calcutta")
 */
export function isTimeZone(zone: string) {
  if (validZones.has(zone)) {
    return true
  }
  const valid = zone.length <= 64 && IANAZone.isValidZone(zone)
  if (valid && validZones.size < KEPT_ZONES) {
    validZones.add(zone)
  }
  return valid
}

// Luxon checks a zone by building an Intl formatter (a fixed cost on every
// request's middleware). Valid names are kept, a bounded number of them:
// luxon accepts any capitalisation, so a form could send endless variants.
const validZones = new Set<string>([DEFAULT_TIME_ZONE])
const KEPT_ZONES = 1000

export type DateInput = DateTime | Date | number | string | null | undefined

/** A luxon DateTime from what pages pass (unix seconds for Stripe's times) */
export function toDateTime(value: Exclude<DateInput, null | undefined>): DateTime {
  return typeof value === 'number'
    ? DateTime.fromSeconds(value)
    : typeof value === 'string'
      ? DateTime.fromISO(value)
      : value instanceof Date
        ? DateTime.fromJSDate(value)
        : value
}

/**
 * The zone's short name at that moment: "EST" (en-US names), "CET" (en-GB
 * names), else the offset ("GMT+9")
 */
function zoneName(date: DateTime) {
  if (date.zoneName === 'UTC') {
    return 'UTC'
  }
  const american = date.setLocale('en-US').toFormat('ZZZZ')
  if (!american.startsWith('GMT')) {
    return american
  }
  const british = date.setLocale('en-GB').toFormat('ZZZZ')
  return british.startsWith('GMT') || british.startsWith('UTC') ? american : british
}

/** "Nov 22, 2026, 14:05 UTC", in the display zone with its abbreviation */
export function formatDateTime(value: DateInput) {
  if (value === null || value === undefined) {
    return '—'
  }
  const date = toDateTime(value).setZone(displayZone()).setLocale('en-US')
  return `${date.toFormat('LLL d, yyyy, HH:mm')} ${zoneName(date)}`
}

/** "Nov 22, 2026", the day in the display zone */
export function formatDate(value: DateInput) {
  if (value === null || value === undefined) {
    return '—'
  }
  return toDateTime(value).setZone(displayZone()).setLocale('en-US').toFormat('LLL d, yyyy')
}
