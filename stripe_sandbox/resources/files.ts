import { type Context } from '../core/context.js'
import { paramError } from '../core/errors.js'
import { type UploadedFile } from '../core/form.js'
import { newId } from '../core/ids.js'
import { LIST_PARAMS, paginate } from '../core/lists.js'
import { dict, file, hash, str } from '../core/params.js'
import { RawResponse } from '../core/router.js'
import { type Engine } from '../engine.js'

/*
 * File uploads (multipart, on the main port as stripe-node v23 sends them
 * when `host` is overridden). The type is detected from the content, like
 * Stripe does; identity documents must be JPG, PNG or PDF, at most 16 MB;
 * dispute evidence too, at most 5 MB.
 */

const PURPOSES = [
  'account_requirement',
  'additional_verification',
  'business_icon',
  'business_logo',
  'customer_signature',
  'dispute_evidence',
  'identity_document',
  'issuing_regulatory_reporting',
  'pci_document',
  'tax_document_user_upload',
  'terminal_reader_splashscreen',
] as const

const MAX_BYTES = 16 * 1024 * 1024
const MAX_BYTES_BY_PURPOSE: Record<string, number> = { dispute_evidence: 5 * 1024 * 1024 }

const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  pdf: 'application/pdf',
  gif: 'image/gif',
  csv: 'text/csv',
  txt: 'text/plain',
}

function detectType(upload: UploadedFile): string | null {
  const d = upload.data
  if (d.length >= 8 && d.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]))) {
    return 'png'
  }
  if (d.length >= 3 && d[0] === 0xff && d[1] === 0xd8 && d[2] === 0xff) {
    return 'jpg'
  }
  if (d.subarray(0, 5).toString('latin1') === '%PDF-') {
    return 'pdf'
  }
  if (d.subarray(0, 4).toString('latin1') === 'GIF8') {
    return 'gif'
  }
  const name = upload.filename.toLowerCase()
  if (name.endsWith('.csv')) {
    return 'csv'
  }
  return name.endsWith('.txt') ? 'txt' : null
}

const DOCUMENT_PURPOSES = new Set([
  'dispute_evidence',
  'identity_document',
  'additional_verification',
  'account_requirement',
])

export function registerFiles(engine: Engine): void {
  const router = engine.router
  engine.setIndexer('file', (rec) => [`purpose=${rec.obj.purpose}`])

  router.add(
    'POST',
    '/v1/files',
    hash({ purpose: str(PURPOSES), file: file(), file_link_data: dict() }, ['purpose', 'file']),
    (ctx) => {
      const upload: UploadedFile = ctx.params.file
      const purpose: string = ctx.params.purpose
      const maxBytes = MAX_BYTES_BY_PURPOSE[purpose] ?? MAX_BYTES
      if (upload.data.length > maxBytes) {
        throw paramError(
          `The file is ${upload.data.length} bytes; the maximum is ${maxBytes / 1024 / 1024} MB.`,
          { param: 'file' }
        )
      }
      if (upload.data.length === 0) {
        throw paramError('The file is empty.', { param: 'file' })
      }
      const type = detectType(upload)
      if (DOCUMENT_PURPOSES.has(purpose) && type !== 'png' && type !== 'jpg' && type !== 'pdf') {
        throw paramError(
          `Invalid file: files with purpose ${purpose} must be JPG, PNG or PDF ` +
            `(the content of ${upload.filename} is not).`,
          { param: 'file' }
        )
      }
      const id = newId('file')
      const now = engine.now()
      const rec = engine.create(
        'file',
        ctx.account,
        ctx.platform,
        {
          id,
          object: 'file',
          created: now,
          expires_at: now + 365 * 24 * 60 * 60,
          filename: upload.filename,
          links: { object: 'list', data: [], has_more: false, url: `/v1/file_links?file=${id}` },
          purpose,
          size: upload.data.length,
          title: null,
          type,
          url: `${engine.url}/v1/files/${id}/contents`,
        },
        { content: upload.data.toString('base64') }
      )
      return rec.obj
    }
  )

  const find = (ctx: Context) => engine.find(ctx, 'file', ctx.path.id, 'file')

  router.add('GET', '/v1/files/:id', hash({}), (ctx) => find(ctx).obj)

  router.add('GET', '/v1/files/:id/contents', hash({}), (ctx) => {
    const rec = find(ctx)
    const type = CONTENT_TYPES[rec.obj.type] ?? 'application/octet-stream'
    return new RawResponse(type, Buffer.from(rec.x.content, 'base64'))
  })

  router.add('GET', '/v1/files', hash({ ...LIST_PARAMS, purpose: str(PURPOSES) }), (ctx) => {
    const purpose = ctx.params.purpose
    const key = purpose ? `file|${ctx.account}|purpose=${purpose}` : `file|${ctx.account}`
    return paginate(engine.store.list(key), ctx.params, {
      store: engine.store,
      url: '/v1/files',
      label: 'file',
      render: (rec) => rec.obj,
    })
  })
}
