import { type Obj } from './types.js'

/**
 * One stored Stripe object plus what the sandbox needs to know about it.
 * `acct` is the account that owns it (what `Stripe-Account` must name to see
 * it); `plat` is the platform it ultimately belongs to; `x` holds hidden state
 * (test-card behaviour, verification progress...) that Stripe never returns.
 */
export interface Rec {
  id: string
  type: string
  acct: string
  plat: string
  seq: number
  obj: Obj

  x: Record<string, any>
  deleted?: boolean
  /** index keys the record is currently listed under (derived, not persisted) */
  keys?: string[]
}

export type Indexer = (rec: Rec) => string[]

/** Told about every record that may have changed (for incremental persistence). */
export type TouchListener = (rec: Rec) => void

/**
 * In-memory object store: a map by id plus list indexes. Each index is an
 * array of records sorted by creation sequence, keyed like
 * `charge|acct_1|payment_intent=pi_1`, so lists and filters never scan
 * objects of other accounts or other parents.
 */
export class Store {
  readonly recs = new Map<string, Rec>()
  private readonly lists = new Map<string, Rec[]>()
  private readonly indexers = new Map<string, Indexer>()
  seq = 0
  /**
   * Change tracking. Handlers mutate records in place, so while a write runs
   * (a POST/DELETE request or a scheduled job) every record it reads or lists
   * counts as changed; records created or reindexed always do.
   */
  onTouch: TouchListener | null = null
  tracking = false

  setIndexer(type: string, indexer: Indexer): void {
    this.indexers.set(type, indexer)
  }

  get(id: string): Rec | undefined {
    const rec = this.recs.get(id)
    if (rec && this.tracking && this.onTouch) {
      this.onTouch(rec)
    }
    return rec
  }

  /** Marks a record as changed whatever the context (e.g. a webhook acknowledgement). */
  touch(rec: Rec): void {
    this.onTouch?.(rec)
  }

  insert(rec: Omit<Rec, 'seq'> & { seq?: number }): Rec {
    const full = rec as Rec
    if (full.seq === undefined) {
      full.seq = ++this.seq
    } else if (full.seq > this.seq) {
      this.seq = full.seq
    }
    this.recs.set(full.id, full)
    this.reindex(full)
    return full
  }

  /** Forgets records for good (old events): out of the map and every list. */
  removeMany(recs: readonly Rec[]): void {
    const gone = new Set(recs)
    const keys = new Set<string>()
    for (const rec of recs) {
      this.recs.delete(rec.id)
      for (const key of rec.keys ?? []) {
        keys.add(key)
      }
      rec.keys = []
    }
    for (const key of keys) {
      const list = this.lists.get(key)
      if (!list) {
        continue
      }
      const kept = list.filter((rec) => !gone.has(rec))
      if (kept.length > 0) {
        this.lists.set(key, kept)
      } else {
        this.lists.delete(key)
      }
    }
  }

  /** Recomputes which lists a record belongs to (after a change to an indexed field). */
  reindex(rec: Rec): void {
    const next = rec.deleted ? [] : this.keysFor(rec)
    const previous = rec.keys ?? []
    for (const key of previous) {
      if (!next.includes(key)) {
        this.removeFrom(key, rec)
      }
    }
    for (const key of next) {
      if (!previous.includes(key)) {
        this.addTo(key, rec)
      }
    }
    rec.keys = next
    this.onTouch?.(rec)
  }

  /** Records listed under `key`, oldest first. Do not mutate. */
  list(key: string): readonly Rec[] {
    const list = this.lists.get(key) ?? EMPTY
    if (this.tracking && this.onTouch) {
      for (const rec of list) {
        this.onTouch(rec)
      }
    }
    return list
  }

  /** The records listed under `key` without marking them changed (reads). */
  peek(key: string): readonly Rec[] {
    return this.lists.get(key) ?? EMPTY
  }

  private keysFor(rec: Rec): string[] {
    const base = `${rec.type}|${rec.acct}`
    const extra = this.indexers.get(rec.type)?.(rec) ?? []
    return [base, ...extra.map((suffix) => `${base}|${suffix}`)]
  }

  private addTo(key: string, rec: Rec): void {
    let list = this.lists.get(key)
    if (!list) {
      list = []
      this.lists.set(key, list)
    }
    if (list.length === 0 || list[list.length - 1].seq < rec.seq) {
      list.push(rec)
    } else {
      list.splice(lowerBound(list, rec.seq), 0, rec)
    }
  }

  private removeFrom(key: string, rec: Rec): void {
    const list = this.lists.get(key)
    if (!list) {
      return
    }
    const i = lowerBound(list, rec.seq)
    if (list[i] === rec) {
      list.splice(i, 1)
    }
  }
}

const EMPTY: readonly Rec[] = Object.freeze([])

/** First position whose seq is >= `seq` (binary search; lists are sorted by seq). */
export function lowerBound(list: readonly Rec[], seq: number): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (list[mid].seq < seq) {
      lo = mid + 1
    } else {
      hi = mid
    }
  }
  return lo
}
