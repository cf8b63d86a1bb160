import edge from 'edge.js'
import db from '@adonisjs/lucid/services/db'
import mail from '@adonisjs/mail/services/main'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { appUrl } from '#config/app'
import User from '#models/user'
import { enqueue } from '#services/queue'
import { storableJson } from '#services/storable_json'
import { withTimeZone } from '#services/time_zone'
import {
  messages,
  type MessageData,
  type MessageDefinition,
  type MessageName,
} from '#mails/messages'
import sendNotificationJob from '#jobs/send_notification'

/*
|--------------------------------------------------------------------------
| notify(): mail after commit, at most once per key
|--------------------------------------------------------------------------
|
|   await db.transaction(async (trx) => {
|     ...the change...
|     await notify(trx, {
|       key: `order:${order.id}:paid`,
|       to: { userId: order.contractorId },
|       message: 'order_paid',
|       data: { orderId, title, amount, currency, fee, net },
|     })
|   })
|
| The outbox row and its send_notification job are written in the caller's
| transaction: nothing is sent if it rolls back, and nothing is sent from
| inside it (the job runs after the commit, on a worker). `key` names the
| message and its occasion; a second notify() with the same key is a no-op
| (the unique index), so a retried webhook or a double click sends one mail.
| The job marks the row "sending" before it hands the mail over: a worker that
| dies right then leaves it so, rather than risk sending it twice.
|
*/

export type Recipient = { userId: number } | { email: string; name?: string }

export interface Notification<Name extends MessageName> {
  key: string
  to: Recipient
  message: Name
  data: MessageData<Name>
}

export async function notify<Name extends MessageName>(
  trx: TransactionClientContract,
  notification: Notification<Name>
): Promise<{ queued: boolean; id: number | null }> {
  if (!messages[notification.message]) {
    throw new Error(`Unknown message: ${notification.message}`)
  }
  const to = notification.to
  const inserted = await trx
    .table('notifications')
    .insert({
      key: notification.key,
      message: notification.message,
      user_id: 'userId' in to ? to.userId : null,
      to_email: 'email' in to ? to.email : null,
      data: JSON.stringify(
        storableJson({
          ...(notification.data as object),
          ...('name' in to && to.name ? { __name: to.name } : {}),
        })
      ),
      status: 'queued',
    })
    .onConflict('key')
    .ignore()
    .returning('id')
  if (inserted.length === 0) {
    return { queued: false, id: null }
  }
  const id = Number(inserted[0].id)
  await enqueue('send_notification', { notificationId: id }, { trx })
  return { queued: true, id }
}

export interface RenderedMessage {
  subject: string
  html: string
  text: string
  link: string
}

/** A message rendered as it is sent (HTML and text), for a recipient named `name` */
export async function renderMessage<Name extends MessageName>(
  name: Name,
  data: MessageData<Name>,
  recipientName: string | null
): Promise<RenderedMessage> {
  const definition = messages[name] as MessageDefinition<MessageData<Name>>
  const link = new URL(definition.link(data), appUrl).href
  const subject = definition.subject(data)
  const viewData = {
    ...(data as object),
    subject,
    link,
    appUrl,
    recipientName,
    settingsLink: new URL('/settings#notifications', appUrl).href,
    category: definition.category,
  }
  const [html, text] = await Promise.all([
    edge.render(`emails/${definition.view}`, viewData),
    edge.render(`emails/${definition.view}_text`, viewData),
  ])
  return { subject, html, text: text.replace(/\n{3,}/g, '\n\n').trim() + '\n', link }
}

interface NotificationRow {
  id: number
  key: string
  message: MessageName
  user_id: number | null
  to_email: string | null
  data: Record<string, unknown>
  status: string
  attempts: number
}

/**
 * The send_notification job. Claims the row (queued → sending), finds the
 * recipient, honours their optional-mail setting, renders and sends.
 * A failure puts the row back to queued and throws (pg-boss retries); after
 * the last retry it stays failed.
 */
export async function sendNotification(notificationId: number, retryCount = 0) {
  const claimed = await db
    .from('notifications')
    .where('id', notificationId)
    .where('status', 'queued')
    .update({ status: 'sending', sending_at: new Date(), attempts: db.raw('attempts + 1') })
    .returning('*')
  const row = claimed[0] as NotificationRow | undefined
  if (!row) {
    return { status: 'not_queued' as const }
  }

  const finish = (status: string, fields: Record<string, unknown> = {}) =>
    db
      .from('notifications')
      .where('id', row.id)
      .update({ status, ...fields })

  const definition = messages[row.message] as MessageDefinition<any> | undefined
  const user = row.user_id ? await User.find(row.user_id) : null
  const email = user?.email ?? row.to_email
  if (!definition || !email) {
    await finish('failed', {
      last_error: definition ? 'Nobody to send it to' : `Unknown message ${row.message}`,
    })
    return { status: 'failed' as const }
  }
  // A deleted account gets no more mail (its address was anonymised anyway)
  if (user?.deletedAt || (definition.category === 'optional' && user && !user.optionalMail)) {
    await finish('skipped')
    return { status: 'skipped' as const }
  }

  const { __name: givenName, ...data } = row.data
  try {
    // Times in the recipient's time zone
    const rendered = await withTimeZone(user?.timeZone, () =>
      renderMessage(
        row.message,
        data as any,
        user?.fullName ?? (givenName as string | undefined) ?? null
      )
    )
    // Made now from the data: the outbox row stays small
    const attachments = definition.attachments ? await definition.attachments(data) : []
    await mail.send((message) => {
      message.to(email).subject(rendered.subject).html(rendered.html).text(rendered.text)
      message.header('X-Crewpay-Message', row.message)
      for (const attachment of attachments) {
        message.attachData(attachment.content, {
          filename: attachment.filename,
          contentType: attachment.contentType,
        })
      }
    })
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error)
    const last = retryCount >= (sendNotificationJob.queue.retryLimit ?? 0)
    await finish(last ? 'failed' : 'queued', { last_error: storableJson(text) })
    throw error
  }

  const scrubbed = { ...row.data }
  for (const key of definition.scrubAfterSend ?? []) {
    scrubbed[key as string] = null
  }
  await finish('sent', {
    sent_at: new Date(),
    last_error: null,
    ...(definition.scrubAfterSend ? { data: JSON.stringify(scrubbed) } : {}),
  })
  logger.info(
    { notificationId: row.id, key: row.key, recipientUserId: row.user_id },
    `Mail ${row.message} sent`
  )
  return { status: 'sent' as const }
}
