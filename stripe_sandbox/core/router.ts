import { type Context } from './context.js'
import { arr, type HashSpec, str } from './params.js'
import { type Obj } from './types.js'

export type Method = 'GET' | 'POST' | 'DELETE'
export type Handler = (ctx: Context) => Obj

/** A non-JSON response (file contents). */
export class RawResponse {
  constructor(
    public contentType: string,
    public data: Buffer
  ) {}
}

export interface Route {
  method: Method
  pattern: string
  spec: HashSpec
  handler: Handler
  segments: string[]
}

/**
 * Routes are grouped by method and segment count, then matched segment by
 * segment (`:name` captures). A handful of routes per bucket keeps this cheap.
 */
export class Router {
  private readonly buckets = new Map<string, Route[]>()

  add(method: Method, pattern: string, spec: HashSpec, handler: Handler): void {
    const segments = pattern.split('/').filter(Boolean)
    // Every Stripe endpoint accepts expand[].
    spec.props.expand ??= arr(str())
    const key = `${method} ${segments.length}`
    const bucket = this.buckets.get(key) ?? []
    // More static segments first, so a literal path beats a capture of the same length.
    bucket.push({ method, pattern, spec, handler, segments })
    bucket.sort((a, b) => staticScore(b) - staticScore(a))
    this.buckets.set(key, bucket)
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | null {
    const parts = path.split('/').filter(Boolean)
    const bucket = this.buckets.get(`${method} ${parts.length}`)
    if (!bucket) {
      return null
    }
    outer: for (const route of bucket) {
      const params: Record<string, string> = {}
      for (const [i, part] of parts.entries()) {
        const seg = route.segments[i]
        if (seg.startsWith(':')) {
          params[seg.slice(1)] = safeDecode(part)
        } else if (seg !== part) {
          continue outer
        }
      }
      return { route, params }
    }
    return null
  }
}

function staticScore(route: Route): number {
  return route.segments.filter((s) => !s.startsWith(':')).length
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    return part
  }
}
