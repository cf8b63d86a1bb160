import { createHash, randomBytes } from 'node:crypto'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/* One randomBytes call per 4 KiB of ids: ids are minted on every write, keep it cheap. */
let pool = randomBytes(4096)
let poolPos = 0

export function randomString(length: number): string {
  if (poolPos + length > pool.length) {
    pool = randomBytes(4096)
    poolPos = 0
  }
  let out = ''
  for (let i = 0; i < length; i++) {
    out += ALPHABET[pool[poolPos++] % 62]
  }
  return out
}

/** Stripe-looking id: `<prefix>_<24 alphanumerics>`. */
export function newId(prefix: string, length = 24): string {
  return `${prefix}_${randomString(length)}`
}

/** Deterministic alphanumeric string derived from a seed (stable account ids per key). */
export function stableString(seed: string, length: number): string {
  const digest = createHash('sha256').update(seed).digest()
  let out = ''
  for (let i = 0; i < length; i++) {
    out += ALPHABET[digest[i % digest.length] % 62]
  }
  return out
}
