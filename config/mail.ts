import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, transports } from '@adonisjs/mail'
import type { InferMailers } from '@adonisjs/mail/types'

/**
 * Where SMTP mail goes: SMTP_HOST/SMTP_PORT, or, with no mail configuration
 * outside production, the embedded mail catcher the dev server starts
 * (infra/mail_catcher.ts sets host and port here when it starts).
 */
export const smtpConnection: {
  host: string
  port: number
  secure: boolean
  ignoreTLS?: boolean
  auth?: { type: 'login'; user: string; pass: string }
} = {
  host: env.get('SMTP_HOST', '127.0.0.1'),
  port: env.get('SMTP_PORT', env.get('MAIL_CATCHER_SMTP_PORT', 1025)),
  secure: env.get('SMTP_SECURE', false),
  ...(env.get('SMTP_HOST') ? {} : { ignoreTLS: true }),
  ...(env.get('SMTP_USERNAME')
    ? {
        auth: {
          type: 'login' as const,
          user: env.get('SMTP_USERNAME')!,
          pass: env.get('SMTP_PASSWORD')?.release() ?? '',
        },
      }
    : {}),
}

/** True when mail goes nowhere real: the dev server then starts the mail catcher */
export const mailUnconfigured =
  !app.inProduction && !env.get('SMTP_HOST') && env.get('MAIL_MAILER', 'smtp') === 'smtp'

const mailConfig = defineConfig({
  default: env.get('MAIL_MAILER', 'smtp'),
  from: {
    address: env.get('MAIL_FROM_ADDRESS', 'no-reply@crewpay.test'),
    name: env.get('MAIL_FROM_NAME', 'Crewpay'),
  },
  mailers: {
    smtp: transports.smtp(smtpConnection),
    resend: transports.resend({
      key: env.get('RESEND_API_KEY')?.release() ?? '',
      baseUrl: 'https://api.resend.com',
    }),
  },
})

export default mailConfig

declare module '@adonisjs/mail/types' {
  export interface MailersList extends InferMailers<typeof mailConfig> {}
}
