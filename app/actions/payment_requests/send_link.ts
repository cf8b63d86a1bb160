import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import PaymentRequest from '#models/payment_request'
import { DomainError } from '#exceptions/domain_error'
import { notify } from '#mails/notify'
import { businessNow } from '#services/clock'
import { businessDay, requestTotals } from '#domain/payment_request_summary'
import { lockRequest, paymentsOf } from '#actions/payment_requests/request_parts'
import { linkMailData } from '#actions/payment_requests/request_mail'

/** A link is mailed again at most this often (a double click, an impatient contractor) */
export const RESEND_MINUTES = 10

/** Who the request's mail goes to: the employer's user once known, else the address */
async function recipientOf(request: PaymentRequest) {
  if (request.employerId !== null) {
    return { userId: request.employerId }
  }
  const user = await User.findBy('email', request.employerEmail)
  return user ? { userId: user.id } : { email: request.employerEmail }
}

/**
 * Mails the link again (the contractor's "Resend"): refused for a canceled
 * or paid request, and within RESEND_MINUTES of the last one.
 */
export async function resendRequestLink(requestId: number) {
  return db.transaction(async (trx) => {
    const request = await lockRequest(trx, requestId)
    if (request.status === 'void') {
      throw DomainError.conflict('This request was canceled: its link cannot be sent again.')
    }
    const totals = requestTotals(request, await paymentsOf(request.id, trx))
    if (totals.outstanding === 0) {
      throw DomainError.conflict('This request is paid: there is nothing to ask for.')
    }
    // Mail pacing is a matter of real time (not the business clock of money deadlines)
    const now = DateTime.now()
    if (request.lastSentAt && request.lastSentAt > now.minus({ minutes: RESEND_MINUTES })) {
      const wait = Math.max(
        1,
        Math.ceil(request.lastSentAt.plus({ minutes: RESEND_MINUTES }).diff(now, 'minutes').minutes)
      )
      throw DomainError.conflict(
        `The link was sent less than ${RESEND_MINUTES} minutes ago: you can send it again in ${wait} minute${wait === 1 ? '' : 's'}.`
      )
    }
    const contractor = await User.findOrFail(request.contractorId, { client: trx })
    request.useTransaction(trx)
    request.lastSentAt = now
    await request.save()
    await notify(trx, {
      key: `payment_request:${request.id}:sent:${now.toMillis()}`,
      to: await recipientOf(request),
      message: 'payment_request',
      data: linkMailData(request, contractor, totals.balanceDue),
    })
    return request
  })
}

/**
 * One reminder per request once it is overdue (the remind_overdue_requests
 * job): to requests past their due date with something left to pay and no
 * payment on its way. The notify key makes it once, whoever runs it.
 */
export async function remindOverdueRequests() {
  const now = await businessNow()
  const today = businessDay(now)
  const due = await PaymentRequest.query()
    .where('status', 'open')
    .where('dueDate', '<', today)
    .whereNotExists((query) =>
      query
        .from('notifications')
        .whereRaw(`notifications.key = 'payment_request:' || payment_requests.id || ':overdue'`)
    )
    .orderBy('id')
  let reminded = 0
  for (const candidate of due) {
    const sent = await db.transaction(async (trx) => {
      const request = await lockRequest(trx, candidate.id)
      const totals = requestTotals(request, await paymentsOf(request.id, trx))
      if (request.status !== 'open' || totals.balanceDue === 0) {
        return false
      }
      const contractor = await User.findOrFail(request.contractorId, { client: trx })
      const { queued } = await notify(trx, {
        key: `payment_request:${request.id}:overdue`,
        to: await recipientOf(request),
        message: 'payment_request_overdue',
        data: linkMailData(request, contractor, totals.balanceDue),
      })
      return queued
    })
    reminded += sent ? 1 : 0
  }
  return reminded
}
