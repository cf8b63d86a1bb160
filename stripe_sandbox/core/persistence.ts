import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  closeSync,
  renameSync,
} from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { type Job } from './clock.js'
import {
  type IdempotencyBacking,
  type IdempotencyEntry,
  KEY_RETENTION_SECONDS,
} from './idempotency.js'
import { type Rec } from './store.js'

/*
 * The state file: a SQLite database (node:sqlite, built into Node 24) written
 * incrementally. Only what changed since the last write goes out: records
 * upserted by id, scheduled jobs inserted and deleted one by one, stored
 * idempotent responses, and three numbers of metadata. Writes are debounced
 * and cut into chunks of a few milliseconds, each its own transaction, with a
 * turn of the event loop in between, so a burst never blocks the server for
 * long. A crash loses at most the writes of the last moments (the debounce);
 * a burst cut short by one may be saved in part.
 */

const FORMAT = 'crewpay-stripe-sandbox/2'

/** A chunk of writes stops after this long and lets requests run. */
const CHUNK_BUDGET_MS = 8

/** Expired idempotency keys are deleted from the file at most this often (real ms). */
const CLEANUP_EVERY_MS = 60_000

export interface LoadedState {
  clockOffset: number
  storeSeq: number
  schedulerSeq: number
  /** oldest first */
  records: Rec[]
  jobs: Job[]
  /** the newest unexpired stored responses, oldest first */
  idempotency: Array<[string, IdempotencyEntry]>
}

export interface StateMeta {
  clockOffset: number
  storeSeq: number
  schedulerSeq: number
  /** sandbox time, to expire idempotency keys */
  now: number
}

export interface PersistenceStats {
  /** debounced write rounds */
  flushes: number
  /** transactions (a round is one or more chunks) */
  chunks: number
  rowsWritten: number
  /** time spent writing, in total and in the longest chunk (event loop blocked) */
  busyMs: number
  longestChunkMs: number
}

/** Version 1 state files were one JSON document, rewritten whole on every save. */
interface LegacyState {
  version: 1
  clockOffset: number
  storeSeq: number
  records: Rec[]
  scheduler: { seq: number; jobs: Job[] }
  idempotency: Array<[string, IdempotencyEntry]>
}

function startsWithBrace(file: string): boolean {
  const fd = openSync(file, 'r')
  try {
    const buffer = Buffer.alloc(1)
    return readSync(fd, buffer, 0, 1, 0) === 1 && buffer[0] === 0x7b
  } finally {
    closeSync(fd)
  }
}

export class Persistence implements IdempotencyBacking {
  readonly stats: PersistenceStats = {
    flushes: 0,
    chunks: 0,
    rowsWritten: 0,
    busyMs: 0,
    longestChunkMs: 0,
  }

  private db: DatabaseSync | null = null
  private statements: Record<string, StatementSync> = {}
  private readonly records = new Map<string, Rec>()
  private readonly removed = new Set<string>()
  private readonly jobsAdded = new Map<number, Job>()
  private readonly jobsDone = new Set<number>()
  private readonly responses = new Map<string, IdempotencyEntry>()
  private metaDirty = false
  private timer: NodeJS.Timeout | null = null
  private draining: Promise<void> | null = null
  private stopped = false
  private lastCleanup = 0

  constructor(
    private readonly file: string | undefined,
    private readonly meta: () => StateMeta,
    private readonly log: (line: string) => void,
    private readonly debounceMs = 100
  ) {}

  get enabled(): boolean {
    return this.file !== undefined
  }

  /**
   * Opens (or creates) the state file and reads it back. A version 1 JSON
   * file is converted: its content moves into the database and the JSON is
   * kept next to it as `<file>.v1.json`. Only the newest `responsesInMemory`
   * stored responses are read back; the others are looked up when needed.
   */
  open(responsesInMemory = Number.MAX_SAFE_INTEGER): LoadedState | null {
    const file = this.file
    if (!file) {
      return null
    }
    mkdirSync(dirname(file), { recursive: true })
    let legacy: LegacyState | null = null
    if (existsSync(file) && startsWithBrace(file)) {
      legacy = parseLegacy(file)
      renameSync(file, `${file}.v1.json`)
    }
    try {
      this.db = new DatabaseSync(file)
      // No fsync: a checkpoint then costs a few ms instead of 15-25 ms. A killed
      // process loses nothing written; only an OS crash could damage the file.
      this.db.exec(
        'PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA wal_autocheckpoint = 256;'
      )
    } catch (error) {
      throw new Error(`Stripe sandbox: ${file} is not a sandbox state file`, { cause: error })
    }
    this.createSchema()
    if (legacy) {
      return this.importLegacy(legacy)
    }
    return this.read(responsesInMemory)
  }

  private createSchema(): void {
    const db = this.db!
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS records (
        id TEXT PRIMARY KEY, seq INTEGER NOT NULL, type TEXT NOT NULL, acct TEXT NOT NULL,
        plat TEXT NOT NULL, deleted INTEGER NOT NULL, obj TEXT NOT NULL, x TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS jobs (
        seq INTEGER PRIMARY KEY, due INTEGER NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS idempotency (
        scope TEXT PRIMARY KEY, created INTEGER NOT NULL, entry TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created);
    `)
    const format = db.prepare('SELECT value FROM meta WHERE key = ?').get('format') as
      { value: string } | undefined
    if (format && format.value !== FORMAT) {
      throw new Error(`Stripe sandbox: unsupported state file format ${format.value}`)
    }
    this.statements = {
      meta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      upsert: db.prepare(
        'INSERT OR REPLACE INTO records (id, seq, type, acct, plat, deleted, obj, x) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
      ),
      remove: db.prepare('DELETE FROM records WHERE id = ?'),
      addJob: db.prepare('INSERT OR REPLACE INTO jobs (seq, due, kind, data) VALUES (?, ?, ?, ?)'),
      doneJob: db.prepare('DELETE FROM jobs WHERE seq = ?'),
      putResponse: db.prepare(
        'INSERT OR REPLACE INTO idempotency (scope, created, entry) VALUES (?, ?, ?)'
      ),
      getResponse: db.prepare('SELECT entry FROM idempotency WHERE scope = ?'),
      expire: db.prepare('DELETE FROM idempotency WHERE created < ?'),
    }
  }

  private read(responsesInMemory: number): LoadedState | null {
    const db = this.db!
    const metaRows = db.prepare('SELECT key, value FROM meta').all() as Array<{
      key: string
      value: string
    }>
    if (metaRows.length === 0) {
      return null
    }
    const meta = Object.fromEntries(metaRows.map((row) => [row.key, row.value]))
    const records: Rec[] = []
    const rows = db.prepare('SELECT id, seq, type, acct, plat, deleted, obj, x FROM records')
    for (const row of rows.iterate() as Iterable<Record<string, string | number>>) {
      records.push({
        id: row.id as string,
        seq: row.seq as number,
        type: row.type as string,
        acct: row.acct as string,
        plat: row.plat as string,
        deleted: row.deleted === 1 ? true : undefined,
        obj: JSON.parse(row.obj as string),
        x: JSON.parse(row.x as string),
      })
    }
    records.sort((a, b) => a.seq - b.seq)
    const jobs = (
      db.prepare('SELECT seq, due, kind, data FROM jobs').all() as Array<{
        seq: number
        due: number
        kind: string
        data: string
      }>
    ).map((row) => ({ seq: row.seq, due: row.due, kind: row.kind, data: JSON.parse(row.data) }))
    const clockOffset = Number(meta.clockOffset ?? 0)
    const horizon = Math.floor(Date.now() / 1000) + clockOffset - KEY_RETENTION_SECONDS
    const responses = (
      db
        .prepare(
          'SELECT scope, entry FROM idempotency WHERE created >= ? ORDER BY created DESC LIMIT ?'
        )
        .all(horizon, responsesInMemory) as Array<{ scope: string; entry: string }>
    ).reverse()
    return {
      clockOffset,
      storeSeq: Number(meta.storeSeq ?? 0),
      schedulerSeq: Number(meta.schedulerSeq ?? 0),
      records,
      jobs,
      idempotency: responses.map((row) => [row.scope, JSON.parse(row.entry)]),
    }
  }

  private importLegacy(saved: LegacyState): LoadedState {
    const state: LoadedState = {
      clockOffset: saved.clockOffset,
      storeSeq: saved.storeSeq,
      schedulerSeq: saved.scheduler.seq,
      records: [...saved.records].sort((a, b) => a.seq - b.seq),
      jobs: saved.scheduler.jobs,
      idempotency: saved.idempotency,
    }
    for (const rec of state.records) {
      this.records.set(rec.id, rec)
    }
    for (const job of state.jobs) {
      this.jobsAdded.set(job.seq, job)
    }
    for (const [scope, entry] of state.idempotency) {
      this.responses.set(scope, entry)
    }
    this.metaDirty = true
    this.log(`stripe sandbox: converted the version 1 state file ${this.file} to SQLite`)
    return state
  }

  // ---- change tracking ---------------------------------------------------------

  record(rec: Rec): void {
    if (this.db) {
      this.records.set(rec.id, rec)
    }
  }

  removeRecord(id: string): void {
    if (this.db) {
      this.records.delete(id)
      this.removed.add(id)
    }
  }

  jobAdded(job: Job): void {
    if (this.db) {
      this.jobsAdded.set(job.seq, job)
    }
  }

  jobRemoved(job: Job): void {
    if (this.db && !this.jobsAdded.delete(job.seq)) {
      this.jobsDone.add(job.seq)
    }
  }

  put(scope: string, entry: IdempotencyEntry): void {
    if (this.db) {
      this.responses.set(scope, entry)
    }
  }

  lookup(scope: string): IdempotencyEntry | undefined {
    if (!this.db) {
      return undefined
    }
    const pending = this.responses.get(scope)
    if (pending) {
      return pending
    }
    const row = this.statements.getResponse.get(scope) as { entry: string } | undefined
    return row ? (JSON.parse(row.entry) as IdempotencyEntry) : undefined
  }

  /** Something changed: write it out shortly. */
  markDirty(): void {
    if (!this.db || this.stopped) {
      return
    }
    this.metaDirty = true
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null
        void this.drain()
      }, this.debounceMs)
    }
  }

  // ---- writing -----------------------------------------------------------------

  private pending(): boolean {
    return (
      this.metaDirty ||
      this.records.size > 0 ||
      this.removed.size > 0 ||
      this.jobsAdded.size > 0 ||
      this.jobsDone.size > 0 ||
      this.responses.size > 0
    )
  }

  /** Writes everything pending, chunk by chunk, yielding between chunks. */
  drain(): Promise<void> {
    if (this.draining) {
      return this.draining
    }
    const run = async () => {
      this.stats.flushes += 1
      while (this.db && this.pending()) {
        this.writeChunk()
        if (this.pending()) {
          await nextTurn()
        }
      }
    }
    this.draining = run()
      .catch((error: unknown) => {
        this.log(`stripe sandbox: could not write the state file: ${String(error)}`)
      })
      .finally(() => {
        this.draining = null
      })
    return this.draining
  }

  private writeChunk(): void {
    const db = this.db!
    const s = this.statements
    const started = performance.now()
    let rows = 0
    let full = false
    /** counts a row; false once the chunk has used its time (checked every 8 rows) */
    const budget = () => {
      full = (++rows & 7) === 0 && performance.now() - started >= CHUNK_BUDGET_MS
      return !full
    }
    db.exec('BEGIN')
    try {
      if (this.metaDirty) {
        this.metaDirty = false
        const meta = this.meta()
        s.meta.run('format', FORMAT)
        s.meta.run('clockOffset', String(meta.clockOffset))
        s.meta.run('storeSeq', String(meta.storeSeq))
        s.meta.run('schedulerSeq', String(meta.schedulerSeq))
        if (Date.now() - this.lastCleanup > CLEANUP_EVERY_MS) {
          this.lastCleanup = Date.now()
          s.expire.run(meta.now - KEY_RETENTION_SECONDS)
        }
      }
      for (const id of this.removed) {
        if (full) {
          break
        }
        this.removed.delete(id)
        s.remove.run(id)
        if (!budget()) {
          break
        }
      }
      for (const seq of this.jobsDone) {
        if (full) {
          break
        }
        this.jobsDone.delete(seq)
        s.doneJob.run(seq)
        if (!budget()) {
          break
        }
      }
      for (const [seq, job] of this.jobsAdded) {
        if (full) {
          break
        }
        this.jobsAdded.delete(seq)
        s.addJob.run(job.seq, job.due, job.kind, JSON.stringify(job.data))
        if (!budget()) {
          break
        }
      }
      for (const [scope, entry] of this.responses) {
        if (full) {
          break
        }
        this.responses.delete(scope)
        s.putResponse.run(scope, entry.created, JSON.stringify(entry))
        if (!budget()) {
          break
        }
      }
      for (const [id, rec] of this.records) {
        if (full) {
          break
        }
        this.records.delete(id)
        s.upsert.run(
          rec.id,
          rec.seq,
          rec.type,
          rec.acct,
          rec.plat,
          rec.deleted ? 1 : 0,
          JSON.stringify(rec.obj),
          JSON.stringify(rec.x)
        )
        if (!budget()) {
          break
        }
      }
      db.exec('COMMIT')
    } catch (error) {
      db.exec('ROLLBACK')
      throw error
    }
    const ms = performance.now() - started
    this.stats.chunks += 1
    this.stats.rowsWritten += rows
    this.stats.busyMs += ms
    this.stats.longestChunkMs = Math.max(this.stats.longestChunkMs, ms)
  }

  /** Writes everything still pending and closes the file (on stop). */
  async close(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (!this.db) {
      return
    }
    this.metaDirty = true
    await this.draining
    await this.drain()
    this.stopped = true
    this.db.close()
    this.db = null
  }
}

function parseLegacy(file: string): LegacyState {
  let saved: LegacyState
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as LegacyState
  } catch (error) {
    throw new Error(`Stripe sandbox: state file ${file} is not valid JSON`, { cause: error })
  }
  if (saved.version !== 1) {
    throw new Error(`Stripe sandbox: unsupported state file version ${String(saved.version)}`)
  }
  return saved
}
