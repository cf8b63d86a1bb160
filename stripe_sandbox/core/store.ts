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
  /** the lists the record is currently in (derived, not persisted) */
  lists?: IndexList[]
}

/** One list index: records sorted by seq; it carries its own key (one string per list). */
export type IndexList = Rec[] & { key: string }

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
  private readonly lists = new Map<string, IndexList>()
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
    let seq = rec.seq
    if (seq === undefined) {
      seq = ++this.seq
    } else if (seq > this.seq) {
      this.seq = seq
    }
    const full = rec as Rec
    full.seq = seq
    this.recs.set(full.id, full)
    this.reindex(full)
    return full
  }

  /** Forgets records for good (old events): out of the map and every list. */
  removeMany(recs: readonly Rec[]): void {
    const gone = new Set(recs)
    const lists = new Set<IndexList>()
    for (const rec of recs) {
      this.recs.delete(rec.id)
      for (const list of rec.lists ?? []) {
        lists.add(list)
      }
      rec.lists = []
    }
    for (const list of lists) {
      // In place: other records hold references to their lists.
      let kept = 0
      for (const rec of list) {
        if (!gone.has(rec)) {
          list[kept++] = rec
        }
      }
      list.length = kept
      if (kept === 0) {
        this.lists.delete(list.key)
      }
    }
  }

  /** Recomputes which lists a record belongs to (after a change to an indexed field). */
  reindex(rec: Rec): void {
    const next = rec.deleted ? [] : this.keysFor(rec)
    const previous = rec.lists ?? []
    const kept: IndexList[] = []
    for (const list of previous) {
      if (next.includes(list.key)) {
        kept.push(list)
      } else {
        this.removeFrom(list, rec)
      }
    }
    for (const key of next) {
      if (!kept.some((list) => list.key === key)) {
        kept.push(this.addTo(key, rec))
      }
    }
    rec.lists = kept
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

  private addTo(key: string, rec: Rec): IndexList {
    let list = this.lists.get(key)
    if (!list) {
      list = Object.assign([] as Rec[], { key })
      this.lists.set(key, list)
    }
    if (list.length === 0 || list[list.length - 1].seq < rec.seq) {
      list.push(rec)
    } else {
      list.splice(lowerBound(list, rec.seq), 0, rec)
    }
    return list
  }

  private removeFrom(list: IndexList, rec: Rec): void {
    const i = lowerBound(list, rec.seq)
    if (list[i] === rec) {
      list.splice(i, 1)
    }
    if (list.length === 0) {
      this.lists.delete(list.key)
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
