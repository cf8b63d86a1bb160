/** How long Stripe guarantees a key is remembered (sandbox seconds). */
export const KEY_RETENTION_SECONDS = 24 * 60 * 60

/** Stored responses kept in memory; older ones stay in the state file when there is one. */
export const DEFAULT_MAX_KEYS_IN_MEMORY = 20_000

export interface IdempotencyEntry {
  method: string
  path: string
  fingerprint: string
  /** null while the first request is still executing */
  status: number | null
  body: string | null
  requestId: string
  created: number
}

/** Where stored responses go when they leave memory (the state file). */
export interface IdempotencyBacking {
  put(scope: string, entry: IdempotencyEntry): void
  lookup(scope: string): IdempotencyEntry | undefined
}

/**
 * Stored responses by (platform, acting account, key). A Map iterates in
 * insertion order, which is creation order, so pruning expired keys and
 * evicting the oldest ones only ever looks at the front.
 *
 * Memory is bounded: beyond `maxInMemory` finished entries the oldest leave
 * memory. With a state file they are still found there until their 24 h are
 * up; without one they are forgotten early (the only way a key can be
 * forgotten before 24 h).
 */
export class IdempotencyStore {
  private entries = new Map<string, IdempotencyEntry>()
  backing: IdempotencyBacking | null = null

  constructor(public maxInMemory = DEFAULT_MAX_KEYS_IN_MEMORY) {}

  static scope(platform: string, account: string, key: string): string {
    return `${platform}|${account}|${key}`
  }

  get size(): number {
    return this.entries.size
  }

  get(scope: string, now: number): IdempotencyEntry | undefined {
    const entry = this.entries.get(scope) ?? this.backing?.lookup(scope)
    if (entry && entry.status !== null && entry.created + KEY_RETENTION_SECONDS < now) {
      this.entries.delete(scope)
      return undefined
    }
    return entry
  }

  begin(scope: string, method: string, path: string, requestId: string, now: number) {
    this.prune(now)
    const entry: IdempotencyEntry = {
      method,
      path,
      fingerprint: '',
      status: null,
      body: null,
      requestId,
      created: now,
    }
    this.entries.set(scope, entry)
    return entry
  }

  /** The first response of a key: kept for replays. */
  finish(scope: string, status: number, body: string): void {
    const entry = this.entries.get(scope)
    if (!entry) {
      return
    }
    entry.status = status
    entry.body = body
    this.backing?.put(scope, entry)
    this.evict()
  }

  abandon(scope: string): void {
    this.entries.delete(scope)
  }

  private prune(now: number): void {
    for (const [scope, entry] of this.entries) {
      if (entry.created + KEY_RETENTION_SECONDS >= now) {
        return
      }
      if (entry.status !== null) {
        this.entries.delete(scope)
      }
    }
  }

  private evict(): void {
    if (this.entries.size <= this.maxInMemory) {
      return
    }
    for (const [scope, entry] of this.entries) {
      if (this.entries.size <= this.maxInMemory) {
        return
      }
      // Requests still running keep their entry (it answers 409 to a concurrent retry).
      if (entry.status !== null) {
        this.entries.delete(scope)
      }
    }
  }

  /** Entries read back from the state file at start (oldest first). */
  load(saved: Iterable<[string, IdempotencyEntry]>): void {
    this.entries = new Map(saved)
    this.evict()
  }
}
