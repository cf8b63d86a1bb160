/*
|--------------------------------------------------------------------------
| The embedded mail catcher (development, with no mail configuration)
|--------------------------------------------------------------------------
|
| MailDev: an SMTP server the app sends to, with a web inbox and a JSON API
| (GET /api/email). SMTP on 1025 and the inbox on http://localhost:1080 by
| default (MAIL_CATCHER_SMTP_PORT, MAIL_CATCHER_WEB_PORT). A catcher already
| running there (another dev server, `node ace jobs:work`) is reused; taken
| ports that are not a catcher make this one use free ports.
|
*/
import { freePort, isPortFree } from './net.js'

export interface MailCatcher {
  smtpPort: number
  webUrl: string
  /** Whether this process started it (and stops it) */
  owned: boolean
  stop(): Promise<void>
}

export interface CaughtMail {
  id: string
  subject: string
  to: { address: string; name: string }[]
  from: { address: string; name: string }[]
  html?: string
  text?: string
  headers: Record<string, string>
}

async function isMailCatcher(webPort: number) {
  try {
    const response = await fetch(`http://127.0.0.1:${webPort}/api/email`, {
      signal: AbortSignal.timeout(1000),
    })
    return response.ok && Array.isArray(await response.json())
  } catch {
    return false
  }
}

export async function startMailCatcher(
  options: { smtpPort?: number; webPort?: number; reuse?: boolean } = {}
): Promise<MailCatcher> {
  const preferredSmtp = options.smtpPort ?? 1025
  const preferredWeb = options.webPort ?? 1080
  const reuse = options.reuse ?? true

  const smtpFree = await isPortFree(preferredSmtp)
  const webFree = await isPortFree(preferredWeb)
  if (reuse && !smtpFree && !webFree && (await isMailCatcher(preferredWeb))) {
    return {
      smtpPort: preferredSmtp,
      webUrl: `http://localhost:${preferredWeb}`,
      owned: false,
      stop: async () => {},
    }
  }

  const smtpPort = smtpFree ? preferredSmtp : await freePort()
  const webPort = webFree ? preferredWeb : await freePort()
  // A development dependency: imported only when a catcher is wanted
  const { MailDev } = await import('maildev')
  const maildev = new MailDev({
    smtp: smtpPort,
    web: webPort,
    ip: '127.0.0.1',
    webIp: '127.0.0.1',
    basePathname: '/',
    silent: true,
    mcp: false,
  })
  await maildev.start()
  return {
    smtpPort,
    webUrl: `http://localhost:${webPort}`,
    owned: true,
    stop: () => maildev.stop(),
  }
}

/** The messages a catcher holds (its JSON API), oldest first */
export async function caughtMail(webUrl: string): Promise<CaughtMail[]> {
  const response = await fetch(new URL('/api/email', webUrl))
  if (!response.ok) {
    throw new Error(`The mail catcher answered ${response.status}`)
  }
  return (await response.json()) as CaughtMail[]
}
