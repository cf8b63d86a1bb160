import mail from '@adonisjs/mail/services/main'

export interface SentMail {
  to: string[]
  subject: string
  html: string
  text: string
  message: string | null
  /** Files attached (a PDF receipt) */
  attachments: { filename: string; contentType: string; content: Buffer }[]
}

/**
 * A fresh mail fake; `sent()` lists what was sent since, as plain values.
 * (tests/bootstrap.ts fakes mail for the whole run: nothing leaves a test.)
 */
export function fakeMail() {
  const fake = mail.fake()
  return {
    sent(): SentMail[] {
      return fake.messages.sent().map((message) => {
        const { message: sent } = message.toObject()
        const to = (Array.isArray(sent.to) ? sent.to : [sent.to]).map((entry) =>
          typeof entry === 'string' ? entry : (entry as { address: string }).address
        )
        const headers = (sent.headers ?? {}) as Record<string, string>
        return {
          to,
          subject: String(sent.subject ?? ''),
          html: String(sent.html ?? ''),
          text: String(sent.text ?? ''),
          message: headers['X-Crewpay-Message'] ?? null,
          attachments: (
            (sent.attachments ?? []) as {
              filename?: string
              contentType?: string
              content?: unknown
              encoding?: string
            }[]
          ).map((attachment) => ({
            filename: String(attachment.filename ?? ''),
            contentType: String(attachment.contentType ?? ''),
            content: bytesOf(attachment.content, attachment.encoding),
          })),
        }
      })
    },
  }
}

/** An attachment's bytes, however the mailer kept them (a Buffer, or base64 once Nodemailer encoded it) */
function bytesOf(content: unknown, encoding: string | undefined): Buffer {
  if (typeof content === 'string' && encoding === 'base64') {
    return Buffer.from(content, 'base64')
  }
  if (Buffer.isBuffer(content)) {
    return content
  }
  if (content instanceof Uint8Array) {
    return Buffer.from(content)
  }
  const json = content as { type?: string; data?: number[] } | null
  if (json?.type === 'Buffer' && Array.isArray(json.data)) {
    return Buffer.from(json.data)
  }
  return Buffer.from(String(content ?? ''), 'binary')
}
