/**
 * Sandbox time = real time + an offset that only ever grows (advance_clock).
 * While a scheduled job runs, `now()` reports the job's due time, so whatever
 * it creates is stamped with the moment it "happened", not the moment the
 * sandbox noticed it (e.g. an authorization expires exactly 7 days after it
 * was made even if the clock was advanced by 30 days in one go).
 */
export class Clock {
  offset = 0
  private frozenAt: number | null = null

  realNow(): number {
    return Math.floor(Date.now() / 1000) + this.offset
  }

  now(): number {
    return this.frozenAt ?? this.realNow()
  }

  runAt<T>(time: number, fn: () => T): T {
    const previous = this.frozenAt
    this.frozenAt = time
    try {
      return fn()
    } finally {
      this.frozenAt = previous
    }
  }
}

export interface Job {
  due: number
  seq: number
  kind: string
  data: Record<string, string | number | boolean | null>
}

/** Binary min-heap of jobs ordered by (due, seq): O(log n) push/pop, O(1) peek. */
export class Scheduler {
  private heap: Job[] = []
  seq = 0
  /** told about jobs added and done (for incremental persistence) */
  onChange: { added(job: Job): void; removed(job: Job): void } | null = null

  get size(): number {
    return this.heap.length
  }

  schedule(due: number, kind: string, data: Job['data']): Job {
    const job: Job = { due, seq: ++this.seq, kind, data }
    this.heap.push(job)
    this.up(this.heap.length - 1)
    this.onChange?.added(job)
    return job
  }

  peek(): Job | undefined {
    return this.heap[0]
  }

  pop(): Job | undefined {
    const heap = this.heap
    if (heap.length === 0) {
      return undefined
    }
    const top = heap[0]
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      this.down(0)
    }
    this.onChange?.removed(top)
    return top
  }

  load(saved: { seq: number; jobs: Job[] }): void {
    this.seq = saved.seq
    this.heap = []
    for (const job of saved.jobs) {
      this.heap.push(job)
      this.up(this.heap.length - 1)
    }
  }

  private cmp(a: Job, b: Job): number {
    return a.due - b.due || a.seq - b.seq
  }

  private up(i: number): void {
    const heap = this.heap
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (this.cmp(heap[i], heap[parent]) >= 0) {
        return
      }
      ;[heap[i], heap[parent]] = [heap[parent], heap[i]]
      i = parent
    }
  }

  private down(i: number): void {
    const heap = this.heap
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      if (left < heap.length && this.cmp(heap[left], heap[smallest]) < 0) {
        smallest = left
      }
      if (right < heap.length && this.cmp(heap[right], heap[smallest]) < 0) {
        smallest = right
      }
      if (smallest === i) {
        return
      }
      ;[heap[i], heap[smallest]] = [heap[smallest], heap[i]]
      i = smallest
    }
  }
}
