import mail from '@adonisjs/mail/services/main'

export interface SentMail {
  to: string[]
  subject: string
  html: string
  text: string
  message: string | null
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
        }
      })
    },
  }
}
