import { type Obj } from './types.js'

function isPlainObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Stripe's `previous_attributes`: only the keys that changed, with their old
 * values; nested hashes are diffed recursively, arrays are given whole.
 * Returns null when nothing changed.
 */
export function previousAttributes(before: Obj, after: Obj): Obj | null {
  const out: Obj = {}
  const keys = new Set([...Object.keys(before), ...Object.keys(after)])
  for (const key of keys) {
    const a = before[key]
    const b = after[key]
    if (JSON.stringify(a) === JSON.stringify(b)) {
      continue
    }
    if (isPlainObject(a) && isPlainObject(b) && a.object !== 'list') {
      const nested = previousAttributes(a, b)
      if (nested) {
        out[key] = nested
      }
    } else {
      out[key] = a === undefined ? null : a
    }
  }
  return Object.keys(out).length > 0 ? out : null
}

/** Deep copy of a JSON object (event snapshots must never change afterwards). */
export function snapshot<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}
