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

  setIndexer(type: string, indexer: Indexer): void {
    this.indexers.set(type, indexer)
  }

  get(id: string): Rec | undefined {
    return this.recs.get(id)
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
  }

  /** Records listed under `key`, oldest first. Do not mutate. */
  list(key: string): readonly Rec[] {
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
