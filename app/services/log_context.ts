import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * Who and what a log line belongs to: the HTTP request or the job being run,
 * and the user. The logger adds these fields to every line written while the
 * request or job runs (config/logger.ts), whichever logger writes it.
 */
export interface LogContext {
  requestId?: string
  userId?: number
  jobId?: string
  job?: string
}

const storage = new AsyncLocalStorage<LogContext>()

export function runWithLogContext<T>(context: LogContext, work: () => T): T {
  return storage.run(context, work)
}

export function currentLogContext(): LogContext | undefined {
  return storage.getStore()
}

/** The user of the current request, once the session told who it is */
export function setLogUser(userId: number | undefined) {
  const context = storage.getStore()
  if (context && userId !== undefined) {
    context.userId = userId
  }
}

/** pino `mixin`: the current context's fields, none that is unset */
export function logContextMixin(): Record<string, unknown> {
  const context = storage.getStore()
  if (!context) {
    return {}
  }
  const fields: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(context)) {
    if (value !== undefined) {
      fields[key] = value
    }
  }
  return fields
}
