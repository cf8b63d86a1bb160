import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ApiRequest } from '@japa/api-client'

const run = promisify(execFile)

/**
 * The text of a PDF, as poppler's pdftotext reads it (-layout: one line per
 * line of the page; runs of spaces collapsed): what a person would see.
 */
export async function pdfText(pdf: Buffer): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'crewpay-pdf-'))
  try {
    const file = join(folder, 'document.pdf')
    await writeFile(file, pdf)
    const { stdout } = await run('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'])
    return stdout.replace(/[ \t]+/g, ' ')
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

/** PDF responses of the API client come back as a Buffer (response.body()) */
ApiRequest.addParser('application/pdf', (response, callback) => {
  const chunks: Buffer[] = []
  // Bytes, not text: superagent may have set a text encoding on the stream
  response.setEncoding('binary')
  response.on('data', (chunk: string | Buffer) =>
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'binary') : chunk)
  )
  response.on('end', () => callback(null, Buffer.concat(chunks)))
})
