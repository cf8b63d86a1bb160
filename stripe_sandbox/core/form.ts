import { createHash } from 'node:crypto'
import { paramError } from './errors.js'

/** A file part of a multipart body. */
export class UploadedFile {
  constructor(
    public filename: string,
    public contentType: string,
    public data: Buffer
  ) {}
}

export type FormValue = string | UploadedFile | FormHash
export interface FormHash {
  [key: string]: FormValue
}

function newHash(): FormHash {
  return Object.create(null) as FormHash
}

/**
 * Splits `a[b][0][]` into ['a', 'b', '0', '']. Stripe accepts brackets raw or
 * percent-encoded; callers decode before splitting so both forms look alike.
 */
function splitKey(key: string): string[] {
  const open = key.indexOf('[')
  if (open <= 0 || !key.endsWith(']')) {
    return [key]
  }
  const parts = [key.slice(0, open)]
  let i = open
  while (i < key.length) {
    if (key[i] !== '[') {
      return [key]
    }
    const close = key.indexOf(']', i)
    if (close < 0) {
      return [key]
    }
    parts.push(key.slice(i + 1, close))
    i = close + 1
  }
  return parts
}

/**
 * Places one value in the tree. `[]` appends: it gets the next free numeric
 * key, so `a[]=x&a[]=y` and `a[0]=x&a[1]=y` build the same node; the endpoint
 * spec later decides whether a node is an array or a hash.
 */
export function assign(root: FormHash, rawKey: string, value: string | UploadedFile): void {
  const parts = splitKey(rawKey)
  let node = root
  for (let i = 0; i < parts.length; i++) {
    let part = parts[i]
    if (part === '' && i > 0) {
      let n = Object.keys(node).length
      while (n.toString() in node) {
        n++
      }
      part = n.toString()
    }
    if (i === parts.length - 1) {
      node[part] = value
      return
    }
    const next = node[part]
    if (next === undefined || typeof next === 'string' || next instanceof UploadedFile) {
      const created = newHash()
      node[part] = created
      node = created
    } else {
      node = next
    }
  }
}

function decode(text: string): string {
  const plus = text.includes('+') ? text.replace(/\+/g, ' ') : text
  if (!plus.includes('%')) {
    return plus
  }
  try {
    return decodeURIComponent(plus)
  } catch {
    throw paramError(`Invalid URL encoding in request: ${text.slice(0, 50)}`)
  }
}

/** Parses `application/x-www-form-urlencoded` (bodies and query strings). */
export function parseUrlEncoded(text: string, into: FormHash = newHash()): FormHash {
  if (text.length === 0) {
    return into
  }
  for (const pair of text.split('&')) {
    if (pair.length === 0) {
      continue
    }
    const eq = pair.indexOf('=')
    const key = decode(eq < 0 ? pair : pair.slice(0, eq))
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1))
    assign(into, key, value)
  }
  return into
}

function headerParam(header: string, name: string): string | undefined {
  const match = new RegExp(`${name}="([^"]*)"`, 'i').exec(header)
  if (match) {
    return match[1].replace(/%22/g, '"')
  }
  const bare = new RegExp(`${name}=([^;\\s]+)`, 'i').exec(header)
  return bare ? bare[1] : undefined
}

/** Parses `multipart/form-data` as stripe-node sends it for file uploads. */
export function parseMultipart(body: Buffer, contentType: string): FormHash {
  const boundary = headerParam(contentType, 'boundary')
  if (!boundary) {
    throw paramError('Invalid multipart body: no boundary in Content-Type')
  }
  const root = newHash()
  const delimiter = Buffer.from(`--${boundary}`)
  let pos = body.indexOf(delimiter)
  while (pos >= 0) {
    let start = pos + delimiter.length
    if (body[start] === 45 && body[start + 1] === 45) {
      break // closing `--boundary--`
    }
    if (body[start] === 13 && body[start + 1] === 10) {
      start += 2
    }
    const headerEnd = body.indexOf('\r\n\r\n', start)
    if (headerEnd < 0) {
      throw paramError('Invalid multipart body: part without headers')
    }
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd + 4)
    if (next < 0) {
      throw paramError('Invalid multipart body: missing closing boundary')
    }
    const headers = body.subarray(start, headerEnd).toString('utf8')
    const content = body.subarray(headerEnd + 4, next)
    const disposition = /content-disposition:([^\r\n]*)/i.exec(headers)?.[1] ?? ''
    const name = headerParam(disposition, 'name')
    if (name !== undefined) {
      const filename = headerParam(disposition, 'filename')
      if (filename !== undefined) {
        const type = /content-type:\s*([^\r\n]*)/i.exec(headers)?.[1]?.trim()
        assign(root, name, new UploadedFile(filename, type ?? 'application/octet-stream', content))
      } else {
        assign(root, name, content.toString('utf8'))
      }
    }
    pos = next + 2
  }
  return root
}

/** Order-independent fingerprint of a parsed request, for idempotency comparisons. */
export function fingerprint(tree: FormHash): string {
  const canon = (value: FormValue): unknown => {
    if (typeof value === 'string') {
      return value
    }
    if (value instanceof UploadedFile) {
      const digest = createHash('sha1').update(value.data).digest('hex')
      return `file:${value.filename}:${value.data.length}:${digest}`
    }
    const keys = Object.keys(value).sort()
    return keys.map((k) => [k, canon(value[k])])
  }
  return JSON.stringify(canon(tree))
}
