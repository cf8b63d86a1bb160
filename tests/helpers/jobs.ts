import { runQueuedJobs } from '#services/queue'
import type { JobName } from '#jobs/registry'

/**
 * Runs the queued jobs in this process until none is left, as a worker
 * would (retries included, without waiting out their backoff). Returns how
 * many ran and failed.
 */
export function runJobs(names?: JobName[]) {
  return runQueuedJobs({ names, ignoreStartAfter: true })
}

/** Runs one round: each queue's next job at most once (a failed job is not retried) */
export function runJobsOnce(names?: JobName[]) {
  return runQueuedJobs({ names, ignoreStartAfter: true, limit: names?.length ?? 1 })
}
