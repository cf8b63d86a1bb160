import type { QueueOptions } from 'pg-boss'

/** What a job's handler is told about the run */
export interface JobRun {
  id: string
  /** 0 on the first attempt */
  retryCount: number
}

/**
 * One kind of background work. Each lives in its own file under app/jobs/ and
 * is listed in app/jobs/registry.ts; its name is its pg-boss queue.
 *
 * A handler that throws is retried by pg-boss (queue options: retryLimit,
 * retryDelay, retryBackoff); after the last retry the job stays `failed`
 * (`node ace jobs:status`). Handlers must be safe to run again: a worker can
 * die after the work and before the job is marked done.
 */
export interface JobDefinition<Data extends object = Record<string, never>> {
  name: string
  description: string
  queue: QueueOptions
  /** Recurring work: a cron expression (UTC), run by one worker each time */
  schedule?: string
  /** Jobs of this queue one worker process runs at once */
  concurrency?: number
  /**
   * Jobs each worker slot fetches at once and runs one after another (1 by
   * default). Only for short, idempotent jobs: pg-boss times a batch as a whole
   */
  batchSize?: number
  handle(data: Data, run: JobRun): Promise<void>
}

export function defineJob<Data extends object = Record<string, never>>(
  definition: JobDefinition<Data>
) {
  return definition
}
