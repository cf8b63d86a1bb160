import { paramError, type StripeError } from './errors.js'
import { type FormHash, type FormValue, UploadedFile } from './form.js'
import { type Params } from './types.js'

/*
 * A tiny declarative schema for request parameters. Every endpoint declares
 * what it accepts, so unknown parameters get Stripe's `parameter_unknown`
 * and wrong types get Stripe's messages, before anything executes.
 */

export type Spec =
  | { t: 'str'; values?: readonly string[]; max?: number }
  | { t: 'int'; min?: number }
  | { t: 'num' }
  | { t: 'bool' }
  | HashSpec
  | { t: 'arr'; of: Spec }
  | { t: 'meta' }
  | { t: 'dict' }
  | { t: 'file' }
  | { t: 'strOrHash'; hash: HashSpec }
  | { t: 'intOrRange' }

export interface HashSpec {
  t: 'hash'
  props: Record<string, Spec>
  required?: readonly string[]
}

export const str = (values?: readonly string[], max?: number): Spec => ({ t: 'str', values, max })
export const int = (min?: number): Spec => ({ t: 'int', min })
/** A decimal number (e.g. percent_ownership); Stripe sends it back as a JSON number. */
export const num = (): Spec => ({ t: 'num' })
export const bool = (): Spec => ({ t: 'bool' })
export const hash = (props: Record<string, Spec>, required?: readonly string[]): HashSpec => ({
  t: 'hash',
  props,
  required,
})
export const arr = (of: Spec): Spec => ({ t: 'arr', of })
export const meta = (): Spec => ({ t: 'meta' })
export const dict = (): Spec => ({ t: 'dict' })
export const file = (): Spec => ({ t: 'file' })
export const strOrHash = (h: HashSpec): Spec => ({ t: 'strOrHash', hash: h })
export const intOrRange = (): Spec => ({ t: 'intOrRange' })

const childPath = (path: string, key: string) => (path === '' ? key : `${path}[${key}]`)

function describe(value: FormValue): string {
  if (typeof value === 'string') {
    return value
  }
  return value instanceof UploadedFile ? '(file)' : '(hash)'
}

function oneOf(values: readonly string[]): string {
  if (values.length <= 1) {
    return values.join('')
  }
  return `${values.slice(0, -1).join(', ')}, or ${values[values.length - 1]}`
}

function plain(value: FormValue): unknown {
  if (typeof value === 'string' || value instanceof UploadedFile) {
    return value
  }
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    out[key] = plain(value[key])
  }
  return out
}

function validateHash(spec: HashSpec, value: FormHash, path: string): Params {
  const out: Params = {}
  for (const key of Object.keys(value)) {
    const child = spec.props[key]
    if (!child) {
      const full = childPath(path, key)
      throw paramError(`Received unknown parameter: ${full}`, {
        code: 'parameter_unknown',
        param: full,
      })
    }
    out[key] = validate(child, value[key], childPath(path, key))
  }
  for (const key of spec.required ?? []) {
    const full = childPath(path, key)
    if (!(key in out)) {
      throw paramError(`Missing required param: ${full}.`, {
        code: 'parameter_missing',
        param: full,
      })
    }
    if (out[key] === null) {
      throw emptyRequired(full)
    }
  }
  return out
}

function emptyRequired(full: string): StripeError {
  return paramError(
    `You passed an empty string for '${full}'. We assume empty values are an attempt to unset a ` +
      `parameter; however '${full}' cannot be unset. You should remove '${full}' from your ` +
      `request or supply a non-empty value.`,
    { code: 'parameter_invalid_empty', param: full }
  )
}

function validateInt(raw: string, path: string, min?: number): number {
  if (!/^-?\d+$/.test(raw)) {
    throw paramError(`Invalid integer: ${raw}`, { code: 'parameter_invalid_integer', param: path })
  }
  const n = Number(raw)
  if (!Number.isSafeInteger(n)) {
    throw paramError(`Invalid integer: ${raw}`, { code: 'parameter_invalid_integer', param: path })
  }
  if (min !== undefined && n < min) {
    throw paramError(`This value must be greater than or equal to ${min}.`, {
      code: 'parameter_invalid_integer',
      param: path,
    })
  }
  return n
}

export function validate(spec: Spec, value: FormValue, path: string): unknown {
  const isHash = typeof value !== 'string' && !(value instanceof UploadedFile)
  // An empty string means "unset" everywhere in Stripe's API.
  if (value === '' && spec.t !== 'str') {
    return null
  }
  switch (spec.t) {
    case 'str': {
      if (typeof value !== 'string') {
        throw paramError(`Invalid string: ${describe(value)}`, { param: path })
      }
      if (value === '') {
        return null
      }
      if (spec.values && !spec.values.includes(value)) {
        throw paramError(`Invalid ${path}: must be one of ${oneOf(spec.values)}`, { param: path })
      }
      if (spec.max !== undefined && value.length > spec.max) {
        throw paramError(`Invalid ${path}: must be at most ${spec.max} characters`, {
          param: path,
        })
      }
      return value
    }
    case 'int':
      if (typeof value !== 'string') {
        throw paramError(`Invalid integer: ${describe(value)}`, {
          code: 'parameter_invalid_integer',
          param: path,
        })
      }
      return validateInt(value, path, spec.min)
    case 'num':
      if (typeof value !== 'string' || !/^-?\d+(\.\d+)?$/.test(value)) {
        throw paramError(`Invalid decimal: ${describe(value)}`, { param: path })
      }
      return Number(value)
    case 'bool':
      if (value === 'true' || value === 'false') {
        return value === 'true'
      }
      throw paramError(`Invalid boolean: ${describe(value)}`, { param: path })
    case 'hash':
      if (!isHash) {
        throw paramError(`Invalid hash`, { param: path })
      }
      return validateHash(spec, value as FormHash, path)
    case 'arr': {
      if (!isHash) {
        throw paramError(`Invalid array`, { param: path })
      }
      const node = value as FormHash
      const keys = Object.keys(node)
      if (keys.some((k) => !/^\d+$/.test(k))) {
        throw paramError(`Invalid array`, { param: path })
      }
      keys.sort((a, b) => Number(a) - Number(b))
      return keys.map((k) => validate(spec.of, node[k], childPath(path, k)))
    }
    case 'meta':
      return validateMetadata(value, path)
    case 'dict':
      if (!isHash) {
        throw paramError(`Invalid hash`, { param: path })
      }
      return plain(value)
    case 'file':
      if (!(value instanceof UploadedFile)) {
        throw paramError(`Invalid file: must be uploaded as a multipart/form-data file`, {
          param: path,
        })
      }
      return value
    case 'strOrHash':
      if (isHash) {
        return validateHash(spec.hash, value as FormHash, path)
      }
      return validate({ t: 'str' }, value, path)
    case 'intOrRange':
      if (typeof value === 'string') {
        return validateInt(value, path)
      }
      return validate(hash({ gt: int(), gte: int(), lt: int(), lte: int() }), value, path)
  }
}

/** Metadata: `metadata[k]=` deletes one key (null), `metadata=` clears all (null). */
function validateMetadata(value: FormValue, path: string): Record<string, string | null> {
  if (typeof value === 'string' || value instanceof UploadedFile) {
    throw paramError(`Invalid hash`, { param: path })
  }
  const keys = Object.keys(value)
  if (keys.length > 50) {
    throw paramError(`Invalid ${path}: metadata can have at most 50 keys`, { param: path })
  }
  const out: Record<string, string | null> = {}
  for (const key of keys) {
    const v = value[key]
    if (typeof v !== 'string') {
      throw paramError(`Invalid ${path}[${key}]: metadata values must be strings`, {
        param: `${path}[${key}]`,
      })
    }
    if (key.length > 40) {
      throw paramError(`Invalid ${path}: keys must be at most 40 characters`, { param: path })
    }
    if (v.length > 500) {
      throw paramError(`Invalid ${path}[${key}]: values must be at most 500 characters`, {
        param: `${path}[${key}]`,
      })
    }
    out[key] = v === '' ? null : v
  }
  return out
}

/** Validates a whole request against an endpoint's top-level hash spec. */
export function validateParams(spec: HashSpec, tree: FormHash): Params {
  return validateHash(spec, tree, '')
}

/** Applies a metadata update (as validated above) to an existing metadata object. */
export function applyMetadata(
  current: Record<string, string>,
  update: Record<string, string | null> | null | undefined
): Record<string, string> {
  if (update === undefined) {
    return current
  }
  if (update === null) {
    return {}
  }
  const next = { ...current }
  for (const [key, value] of Object.entries(update)) {
    if (value === null) {
      delete next[key]
    } else {
      next[key] = value
    }
  }
  return next
}
