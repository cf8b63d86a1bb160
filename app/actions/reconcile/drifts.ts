import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { describeStripeError, isStripeError } from '#stripe/errors'

export interface Drift {
  /** "payment #12 (order #42)", "refund #3 (order #42)", "debit #2", "event evt_…" */
  subject: string
  problem: string
  local: string
  stripe: string
  /** What --fix does about it; null when it needs a person */
  fix: string | null
  fixed: boolean
}

export interface ReconcileOptions {
  /** Only records created (events received) since then */
  since?: DateTime | null
  fix: boolean
  actor: string
}

/**
 * How long a pending row that Stripe does not have is left alone: its
 * request may still be on its way (a timeout, a slow network). Older, it is
 * taken to have never reached Stripe and --fix closes it.
 */
export const PENDING_GRACE_MINUTES = 10

/** Whether a pending row (last written at `updatedAt`) is past the grace period */
export function pastGrace(row: { updatedAt: DateTime }) {
  return row.updatedAt < DateTime.now().minus({ minutes: PENDING_GRACE_MINUTES })
}

export function youngNote(subject: string, row: { updatedAt: DateTime }) {
  const minutes = Math.floor(-row.updatedAt.diffNow('minutes').minutes)
  return (
    `${subject}: pending for ${minutes} minute(s), not on Stripe (yet); left alone until it is ` +
    `${PENDING_GRACE_MINUTES} minutes old.`
  )
}

export function problemText(error: unknown) {
  if (isStripeError(error)) {
    return describeStripeError(error).message
  }
  return error instanceof Error ? error.message.split('\n')[0] : String(error)
}

/**
 * Collects the drifts of one record. With `trx` (the record's lock held) a
 * fixable drift is fixed at once; `later` fixes are Stripe writes, sent
 * after the lock is released.
 */
export class DriftList {
  drifts: Drift[] = []
  notes: string[] = []
  later: (() => Promise<void>)[] = []

  constructor(
    private subject: string,
    private trx: TransactionClientContract | null
  ) {}

  get fixing() {
    return this.trx !== null
  }

  async add(
    drift: Omit<Drift, 'fixed' | 'subject'> & { subject?: string },
    work?: (trx: TransactionClientContract) => Promise<unknown>
  ) {
    const entry: Drift = { subject: this.subject, ...drift, fixed: false }
    this.drifts.push(entry)
    if (this.trx && entry.fix && work) {
      await work(this.trx)
      entry.fixed = true
    }
    return entry
  }

  /** A drift whose fix is a Stripe write: sent after the lock is released */
  addLater(
    drift: Omit<Drift, 'fixed' | 'subject'> & { subject?: string },
    work: () => Promise<boolean>
  ) {
    const entry: Drift = { subject: this.subject, ...drift, fixed: false }
    this.drifts.push(entry)
    if (this.trx && entry.fix) {
      this.later.push(async () => {
        entry.fixed = await work()
      })
    }
    return entry
  }

  note(text: string) {
    this.notes.push(text)
  }
}
