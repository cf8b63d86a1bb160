/** How long Stripe guarantees a key is remembered (sandbox seconds). */
export const KEY_RETENTION_SECONDS = 24 * 60 * 60

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

/**
 * Stored responses by (platform, acting account, key). A Map iterates in
 * insertion order, which is creation order, so pruning expired keys only
 * ever looks at the oldest entries.
 */
export class IdempotencyStore {
  private entries = new Map<string, IdempotencyEntry>()

  static scope(platform: string, account: string, key: string): string {
    return `${platform}|${account}|${key}`
  }

  get(scope: string, now: number): IdempotencyEntry | undefined {
    const entry = this.entries.get(scope)
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

  toJSON(): Array<[string, IdempotencyEntry]> {
    return [...this.entries].filter(([, entry]) => entry.status !== null)
  }

  load(saved: Array<[string, IdempotencyEntry]>): void {
    this.entries = new Map(saved)
  }
}
