/**
 * PostgreSQL's jsonb (and text) cannot hold the NUL character, nor a lone
 * UTF-16 surrogate: a Stripe object carrying one (a name typed with a NUL)
 * makes the insert fail. This copy replaces them with U+FFFD, in keys and
 * values, so the value can be stored; keep the original as text (JSON escapes
 * them) when it must be exact.
 */
export function storableJson<T>(value: T): T {
  return clean(value) as T
}

function cleanString(text: string) {
  return text.includes('\u0000') || !text.isWellFormed()
    ? text.replaceAll('\u0000', '\uFFFD').toWellFormed()
    : text
}

function clean(value: unknown): unknown {
  if (typeof value === 'string') {
    return cleanString(value)
  }
  if (Array.isArray(value)) {
    return value.map(clean)
  }
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const copy: Record<string, unknown> = {}
    for (const [key, entry] of Object.entries(value)) {
      copy[cleanString(key)] = clean(entry)
    }
    return copy
  }
  return value
}
