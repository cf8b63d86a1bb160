import { rm } from 'node:fs/promises'
import { MultipartFile } from '@adonisjs/core/bodyparser'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'

/**
 * Deletes every file the body parser streamed to the temporary directory once
 * the request is answered, whatever the answer: a refused CSRF token, a guest,
 * a wrong role, a field no form reads, a route that takes no files. Identity
 * documents are never kept on our disk. Runs right after the body parser, so
 * nothing later in the chain can skip it.
 */
export default class DiscardUploadsMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    try {
      return await next()
    } finally {
      await discard(uploadedFiles(ctx.request.allFiles()))
    }
  }
}

/** The files of `request.allFiles()`, also under nested (`a[b]`) and repeated (`a[]`) names */
function uploadedFiles(value: unknown, found: MultipartFile[] = []): MultipartFile[] {
  if (value instanceof MultipartFile) {
    found.push(value)
  } else if (Array.isArray(value)) {
    for (const item of value) {
      uploadedFiles(item, found)
    }
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) {
      uploadedFiles(item, found)
    }
  }
  return found
}

async function discard(files: MultipartFile[]) {
  await Promise.all(
    files.map((file) => (file.tmpPath ? rm(file.tmpPath, { force: true }) : undefined))
  )
}
