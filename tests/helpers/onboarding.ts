import { deflateSync } from 'node:zlib'
import { readdir, readFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ApiClient, ApiResponse } from '@japa/api-client'
import type User from '#models/user'

/**
 * The details form as a contractor fills it in, with Stripe's test values
 * that verify after the sandbox's verification delay (60 s): DOB 1901-01-01,
 * SSN 000000000, address_full_match.
 */
export const DETAILS = {
  first_name: 'Jenny',
  last_name: 'Rosen',
  dob: '1901-01-01',
  phone: '0000000000',
  address_line1: 'address_full_match',
  address_city: 'San Francisco',
  address_state: 'CA',
  address_postal_code: '94111',
  id_number: '000000000',
}

/** Stripe's test bank: routing 110000000, account 000123456789 (payouts succeed) */
export const BANK = {
  routing_number: '110000000',
  account_number: '000123456789',
  account_holder_name: 'Jenny Rosen',
}

/** A form post by a logged-in user, not following the redirect */
export function postForm(
  client: ApiClient,
  user: User,
  path: string,
  form: Record<string, unknown>
) {
  return client.post(path).loginAs(user).withCsrfToken().form(form).redirects(0)
}

/** The status key the onboarding page shows (data-status of the status badge) */
export function statusOf(page: ApiResponse) {
  return /data-status="([a-z_]+)"/.exec(page.text())?.[1] ?? null
}

function crc32(buffer: Buffer) {
  let crc = 0xffffffff
  for (const byte of buffer) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
    }
  }
  return (crc ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Buffer) {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** A real (tiny, 2×2 color) PNG; `marker` goes into a text chunk so the file can be recognized */
export function pngImage(marker = 'crewpay-test') {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(2, 0)
  header.writeUInt32BE(2, 4)
  header.writeUInt8(8, 8) // bit depth
  header.writeUInt8(2, 9) // RGB
  const rows = Buffer.from([0, 255, 0, 0, 0, 0, 255, 0, 0, 255, 0, 255, 255, 255])
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('tEXt', Buffer.from(`Comment\0${marker}`, 'latin1')),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/**
 * Files in the OS temporary directory (where uploads are streamed) that
 * contain `marker`. Only recent files of at most `maxSize` bytes are read.
 */
export async function tmpFilesContaining(marker: string, maxSize = 12 * 1024 * 1024) {
  const directory = tmpdir()
  const needle = Buffer.from(marker)
  const found: string[] = []
  const recent = Date.now() - 10 * 60 * 1000
  for (const name of await readdir(directory)) {
    const path = join(directory, name)
    const info = await stat(path).catch(() => null)
    if (!info?.isFile() || info.size > maxSize || info.mtimeMs < recent) {
      continue
    }
    const content = await readFile(path).catch(() => null)
    if (content?.includes(needle)) {
      found.push(path)
    }
  }
  return found
}
