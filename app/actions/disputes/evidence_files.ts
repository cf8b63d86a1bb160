import { createHash } from 'node:crypto'
import { open, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { readFile } from 'node:fs/promises'
import type Dispute from '#models/dispute'
import type { EvidenceFile } from '#models/dispute_action'
import { DomainError } from '#exceptions/domain_error'
import { stripe } from '#stripe/client'

/*
| Files given as dispute evidence, checked before anything is uploaded:
| PDF, JPEG or PNG (by their first bytes, whatever the name says), at most
| 5 MB each (Stripe's limit for `dispute_evidence`) and 4.5 MB in all (what
| card networks take). Stripe takes one file per kind of evidence.
*/

export const MAX_EVIDENCE_FILE_BYTES = 5 * 1024 * 1024
export const MAX_EVIDENCE_TOTAL_BYTES = 4.5 * 1024 * 1024

/** Stripe's file evidence fields; the first takes a file given without a kind */
export const EVIDENCE_FILE_FIELDS = [
  'uncategorized_file',
  'service_documentation',
  'customer_communication',
  'receipt',
  'customer_signature',
  'cancellation_policy',
  'refund_policy',
  'duplicate_charge_documentation',
  'shipping_documentation',
] as const
export type EvidenceFileField = (typeof EVIDENCE_FILE_FIELDS)[number]

const TYPES: { type: string; magic: number[] }[] = [
  { type: 'application/pdf', magic: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  { type: 'image/png', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', magic: [0xff, 0xd8, 0xff] },
]

export interface CheckedFile {
  field: EvidenceFileField
  path: string
  name: string
  type: string
  size: number
}

function megabytes(bytes: number) {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

/** "service_documentation=./delivery.pdf" or "./delivery.pdf" → its field and path */
function parseSpec(spec: string) {
  const match = /^([a-z_]+)=(.+)$/.exec(spec)
  if (match && (EVIDENCE_FILE_FIELDS as readonly string[]).includes(match[1])) {
    return { field: match[1] as EvidenceFileField, path: match[2] }
  }
  return { field: null, path: spec }
}

async function typeOf(path: string) {
  const handle = await open(path, 'r')
  try {
    const head = Buffer.alloc(8)
    await handle.read(head, 0, 8, 0)
    return TYPES.find(({ magic }) => magic.every((byte, index) => head[index] === byte))?.type
  } finally {
    await handle.close()
  }
}

/**
 * Checks every file given (`kind=path` or `path`) before anything is
 * uploaded; refuses with a message naming the file and the rule
 */
export async function checkEvidenceFiles(specs: string[]): Promise<CheckedFile[]> {
  const checked: CheckedFile[] = []
  for (const spec of specs) {
    const { field: named, path } = parseSpec(spec.trim())
    const name = basename(path)
    const info = await stat(path).catch(() => null)
    if (!info?.isFile()) {
      throw DomainError.invalid(`No file at ${path}: give the path of a PDF, JPEG or PNG file.`)
    }
    if (info.size === 0) {
      throw DomainError.invalid(`${name} is empty.`)
    }
    if (info.size > MAX_EVIDENCE_FILE_BYTES) {
      throw DomainError.invalid(
        `${name} is ${megabytes(info.size)}: Stripe takes evidence files of at most 5 MB.`
      )
    }
    const type = await typeOf(path).catch(() => undefined)
    if (!type) {
      throw DomainError.invalid(
        `${name} is not a PDF, JPEG or PNG file: Stripe takes only those as evidence.`
      )
    }
    const field =
      named ??
      (checked.some((file) => file.field === 'uncategorized_file') ? null : 'uncategorized_file')
    if (!field) {
      throw DomainError.invalid(
        `Stripe takes one file per kind of evidence: name the kind of ${name}, e.g. ` +
          `--file=service_documentation=${path} (kinds: ${EVIDENCE_FILE_FIELDS.join(', ')}).`
      )
    }
    if (checked.some((file) => file.field === field)) {
      throw DomainError.invalid(`Two files are given as ${field}: Stripe takes one of each kind.`)
    }
    checked.push({ field, path, name, type, size: info.size })
  }
  const total = checked.reduce((sum, file) => sum + file.size, 0)
  if (total > MAX_EVIDENCE_TOTAL_BYTES) {
    throw DomainError.invalid(
      `The files add up to ${megabytes(total)}: card networks take at most 4.5 MB of evidence in all.`
    )
  }
  return checked
}

/**
 * Uploads checked files to Stripe (purpose dispute_evidence). The key names
 * the dispute and the file's contents: the same command run again uploads
 * nothing twice.
 */
export async function uploadEvidenceFiles(dispute: Dispute, files: CheckedFile[]) {
  const uploaded: Record<string, EvidenceFile> = {}
  for (const file of files) {
    const data = await readFile(file.path)
    const digest = createHash('sha256').update(data).digest('hex').slice(0, 32)
    const created = await stripe().files.create(
      { purpose: 'dispute_evidence', file: { data, name: file.name, type: file.type } },
      { idempotencyKey: `dispute:${dispute.id}:${dispute.reference}:file:${file.field}:${digest}` }
    )
    uploaded[file.field] = { id: created.id, name: file.name, type: file.type, size: file.size }
  }
  return uploaded
}
