import { DateTime } from 'luxon'

/*
| Times shown to an admin at the console, in their time zone. The console
| has no user profile: the zone is the TZ environment variable when it names
| a valid zone, else the system's, and the output says which.
*/

export interface AdminZone {
  zone: string
  /** Where it came from: "TZ" or "system" */
  source: 'TZ' | 'system'
}

export function adminZone(): AdminZone {
  const fromEnv = process.env.TZ?.trim()
  if (fromEnv && DateTime.now().setZone(fromEnv).isValid) {
    return { zone: fromEnv, source: 'TZ' }
  }
  return { zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', source: 'system' }
}

/** "2026-05-10 01:59 CEST" in the admin's zone */
export function formatForAdmin(value: DateTime, zone = adminZone()) {
  return value.setZone(zone.zone).toFormat('yyyy-MM-dd HH:mm ZZZZ')
}

/** "3 days left", "less than a day left", "2 days ago": from `now` to `due` */
export function daysLeft(due: DateTime, now: DateTime) {
  const hours = due.diff(now, 'hours').hours
  if (hours < 0) {
    const days = Math.floor(-hours / 24)
    return days === 0
      ? 'overdue by less than a day'
      : `overdue by ${days} day${days === 1 ? '' : 's'}`
  }
  const days = Math.floor(hours / 24)
  return days === 0 ? 'less than a day left' : `${days} day${days === 1 ? '' : 's'} left`
}
