import { Clock, type Job, Scheduler } from './core/clock.js'
import { type Context } from './core/context.js'
import { snapshot } from './core/diff.js'
import { resourceMissing } from './core/errors.js'
import { DEFAULT_MAX_KEYS_IN_MEMORY, IdempotencyStore } from './core/idempotency.js'
import { newId } from './core/ids.js'
import { Persistence } from './core/persistence.js'
import { Router } from './core/router.js'
import { type Indexer, type Rec, Store } from './core/store.js'
import { API_VERSION, type Obj } from './core/types.js'
import {
  DEFAULT_WEBHOOK_CONCURRENCY,
  WebhookDispatcher,
  type WebhookTarget,
} from './core/webhooks.js'

/** Events kept at most (oldest dropped first); Stripe keeps them for 30 days. */
export const DEFAULT_MAX_EVENTS = 20_000
export const EVENT_RETENTION_SECONDS = 30 * 24 * 60 * 60

export interface WebhookEndpointOption {
  url: string
  secret: string
  connect?: boolean
  enabledEvents?: string[]
}

export interface EngineOptions {
  stateFile?: string
  webhookEndpoints: WebhookEndpointOption[]
  log: (line: string) => void
  webhookRetryDelaysMs: number[]
  /** deliveries in flight per endpoint */
  webhookConcurrency?: number
  /** events kept in memory and in the state file */
  maxEvents?: number
  /** stored idempotent responses kept in memory (older ones stay in the state file) */
  maxIdempotencyKeys?: number
}

/** Per-account, per-currency running balance (kept in step with balance transactions). */
export interface Balance {
  available: number
  pending: number
}

/**
 * The sandbox's state and services: object store, clock and scheduler,
 * events and webhook delivery, idempotency, persistence. Resources register
 * routes, renderers, indexes and scheduled-job handlers on it.
 */
export class Engine {
  readonly store = new Store()
  readonly clock = new Clock()
  readonly scheduler = new Scheduler()
  readonly router = new Router()
  readonly idempotency: IdempotencyStore
  readonly webhooks: WebhookDispatcher
  readonly persistence: Persistence
  /** account id → currency → balance */
  readonly balances = new Map<string, Map<string, Balance>>()
  /** the request being served (for `event.request`); null while jobs run */
  current: Context | null = null
  url = ''

  private readonly renderers = new Map<string, (rec: Rec) => Obj>()
  private readonly jobHandlers = new Map<string, (job: Job) => void>()
  private readonly loaders: Array<() => void> = []
  private timer: NodeJS.Timeout | null = null
  private stopped = false
  /** every kept event, oldest first from `eventHead` (retention) */
  private events: Rec[] = []
  private eventHead = 0

  constructor(readonly options: EngineOptions) {
    this.webhooks = new WebhookDispatcher(
      options.webhookRetryDelaysMs,
      (eventId) => this.onWebhookDelivered(eventId),
      options.log,
      options.webhookConcurrency ?? DEFAULT_WEBHOOK_CONCURRENCY
    )
    this.idempotency = new IdempotencyStore(
      options.maxIdempotencyKeys ?? DEFAULT_MAX_KEYS_IN_MEMORY
    )
    this.persistence = new Persistence(
      options.stateFile,
      () => ({
        clockOffset: this.clock.offset,
        storeSeq: this.store.seq,
        schedulerSeq: this.scheduler.seq,
        now: this.clock.realNow(),
      }),
      options.log
    )
    this.store.setIndexer('event', (rec) => [`type=${rec.obj.type}`])
  }

  now(): number {
    return this.clock.now()
  }

  // ---- objects -----------------------------------------------------------------

  create(type: string, acct: string, plat: string, obj: Obj, x: Rec['x'] = {}): Rec {
    this.markDirty()
    return this.store.insert({ id: obj.id, type, acct, plat, obj, x })
  }

  setRenderer(type: string, render: (rec: Rec) => Obj): void {
    this.renderers.set(type, render)
  }

  setIndexer(type: string, indexer: Indexer): void {
    this.store.setIndexer(type, indexer)
  }

  /** Register work to redo after a state file is loaded (e.g. rebuild balances). */
  onLoad(fn: () => void): void {
    this.loaders.push(fn)
  }

  /** The object as the API returns it (some types add embedded lists). */
  render(rec: Rec): Obj {
    const renderer = this.renderers.get(rec.type)
    return renderer ? renderer(rec) : rec.obj
  }

  /** Looks up an object of `type` visible to the acting account, or throws Stripe's 404. */
  find(ctx: Context, type: string, id: string, label: string, param = 'id'): Rec {
    const rec = this.store.get(id)
    if (!rec || rec.type !== type || rec.acct !== ctx.account || rec.deleted) {
      throw resourceMissing(label, id, param)
    }
    return rec
  }

  markDirty(): void {
    this.persistence.markDirty()
  }

  // ---- scheduler ---------------------------------------------------------------

  onJob(kind: string, handler: (job: Job) => void): void {
    this.jobHandlers.set(kind, handler)
  }

  schedule(due: number, kind: string, data: Job['data']): void {
    this.scheduler.schedule(due, kind, data)
    this.markDirty()
    this.armTimer()
  }

  /** Runs every job whose time has come, in time order. Cheap when nothing is due. */
  runDue(): void {
    const limit = this.clock.realNow()
    let head = this.scheduler.peek()
    if (!head || head.due > limit) {
      return
    }
    const previous = this.current
    const tracking = this.store.tracking
    this.current = null
    // Jobs are writes: what they read counts as changed.
    this.store.tracking = true
    try {
      while (head && head.due <= limit) {
        const job = this.scheduler.pop()!
        const handler = this.jobHandlers.get(job.kind)
        if (handler) {
          this.clock.runAt(job.due, () => handler(job))
        }
        head = this.scheduler.peek()
      }
    } finally {
      this.current = previous
      this.store.tracking = tracking
    }
    this.markDirty()
    this.armTimer()
  }

  advanceClock(seconds: number): number {
    this.clock.offset += Math.max(0, Math.floor(seconds))
    this.markDirty()
    this.runDue()
    return this.clock.realNow()
  }

  /** A real-time timer for the queue head, so due work also happens while idle. */
  private armTimer(): void {
    if (this.stopped) {
      return
    }
    const head = this.scheduler.peek()
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (!head) {
      return
    }
    const delayMs = Math.min(Math.max(0, (head.due - this.clock.realNow()) * 1000), 3_600_000)
    this.timer = setTimeout(() => {
      this.timer = null
      this.runDue()
      this.armTimer()
    }, delayMs)
    this.timer.unref()
  }

  // ---- events ------------------------------------------------------------------

  /**
   * Records an event that happened on `acct` (a connected account's events
   * carry `account`) and queues it for every matching webhook endpoint.
   */
  emit(type: string, acct: string, plat: string, object: Obj, previous?: Obj | null): Rec {
    const connected = acct !== plat
    const targets = this.webhookTargets(type, plat, connected)
    const event: Obj = {
      id: newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: this.now(),
      data: previous
        ? { object: snapshot(object), previous_attributes: snapshot(previous) }
        : { object: snapshot(object) },
      livemode: false,
      pending_webhooks: targets.length,
      request: {
        id: this.current?.requestId ?? null,
        idempotency_key: this.current?.idempotencyKey ?? null,
      },
      type,
    }
    if (connected) {
      event.account = acct
    }
    const rec = this.create('event', acct, plat, event)
    this.events.push(rec)
    this.trimEvents()
    if (targets.length > 0) {
      const payload = JSON.stringify(event, null, 2)
      for (const target of targets) {
        this.webhooks.enqueue(target, event.id, payload)
      }
    }
    return rec
  }

  /** Emits an event about a stored object, on the account that owns it. */
  emitFor(rec: Rec, type: string, previous?: Obj | null): Rec {
    return this.emit(type, rec.acct, rec.plat, this.render(rec), previous)
  }

  private webhookTargets(type: string, plat: string, connected: boolean): WebhookTarget[] {
    const targets: WebhookTarget[] = []
    const wants = (events: readonly string[]) => events.includes('*') || events.includes(type)
    for (const rec of this.store.peek(`webhook_endpoint|${plat}`)) {
      const endpoint = rec.obj
      if (
        endpoint.status === 'enabled' &&
        Boolean(rec.x.connect) === connected &&
        wants(endpoint.enabled_events)
      ) {
        targets.push({ id: endpoint.id, url: endpoint.url, secret: rec.x.secret })
      }
    }
    this.options.webhookEndpoints.forEach((endpoint, index) => {
      if (Boolean(endpoint.connect) === connected && wants(endpoint.enabledEvents ?? ['*'])) {
        targets.push({ id: `default_${index}`, url: endpoint.url, secret: endpoint.secret })
      }
    })
    return targets
  }

  private onWebhookDelivered(eventId: string): void {
    const rec = this.store.recs.get(eventId)
    if (rec && rec.obj.pending_webhooks > 0) {
      rec.obj.pending_webhooks -= 1
      this.store.touch(rec)
      this.markDirty()
    }
  }

  /**
   * Event retention: at most `maxEvents`, none older than 30 days of sandbox
   * time. Evicting in batches (10 % over the cap) keeps the list surgery
   * amortised; evicted events are gone, as on Stripe after 30 days.
   */
  private trimEvents(): void {
    const max = this.options.maxEvents ?? DEFAULT_MAX_EVENTS
    const live = this.events.length - this.eventHead
    const oldest = this.events[this.eventHead]
    const horizon = this.clock.now() - EVENT_RETENTION_SECONDS
    if (live <= max + Math.ceil(max / 10) && !(oldest && oldest.obj.created < horizon)) {
      return
    }
    const gone: Rec[] = []
    while (this.eventHead < this.events.length) {
      const rec = this.events[this.eventHead]
      if (this.events.length - this.eventHead <= max && rec.obj.created >= horizon) {
        break
      }
      gone.push(rec)
      this.eventHead += 1
    }
    this.store.removeMany(gone)
    for (const rec of gone) {
      this.persistence.removeRecord(rec.id)
    }
    if (this.eventHead > this.events.length / 2) {
      this.events = this.events.slice(this.eventHead)
      this.eventHead = 0
    }
  }

  stats() {
    return {
      objects: this.store.recs.size,
      events: this.events.length - this.eventHead,
      idempotencyKeysInMemory: this.idempotency.size,
      scheduledJobs: this.scheduler.size,
      webhookBacklog: this.webhooks.backlog,
      persistence: { ...this.persistence.stats },
    }
  }

  // ---- persistence ---------------------------------------------------------------

  /** Reads the state file back (if any), then starts tracking changes for it. */
  load(): void {
    const saved = this.persistence.open(this.idempotency.maxInMemory)
    if (saved) {
      this.clock.offset = saved.clockOffset
      for (const rec of saved.records) {
        this.store.insert(rec)
      }
      this.store.seq = Math.max(this.store.seq, saved.storeSeq)
      this.scheduler.load({ seq: saved.schedulerSeq, jobs: saved.jobs })
      this.idempotency.load(saved.idempotency)
      for (const loader of this.loaders) {
        loader()
      }
      for (const rec of saved.records) {
        if (rec.type === 'event') {
          this.events.push(rec)
        }
      }
    }
    if (this.persistence.enabled) {
      const persistence = this.persistence
      this.store.onTouch = (rec) => persistence.record(rec)
      this.scheduler.onChange = {
        added: (job) => persistence.jobAdded(job),
        removed: (job) => persistence.jobRemoved(job),
      }
      this.idempotency.backing = persistence
    }
    this.trimEvents()
    this.armTimer()
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    this.webhooks.stop()
    await this.persistence.close()
  }
}
