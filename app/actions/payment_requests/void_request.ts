import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { PAYMENT_REQUEST_STATES } from '#models/payment_request'
import type { Actor } from '#domain/actor'
import { DomainError } from '#exceptions/domain_error'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount } from '#money/amounts'
import { requestTotals } from '#domain/payment_request_summary'
import { lockRequest, paymentsOf } from '#actions/payment_requests/request_parts'

/**
 * Cancels an unpaid request (its link then says so): through the request's
 * state table (the contractor or an admin), and only while nothing is paid
 * or on its way, decided under the request's lock so a payment cannot slip
 * in between.
 */
export async function voidPaymentRequest(requestId: number, actor: Actor) {
  return db.transaction(async (trx) => {
    const request = await lockRequest(trx, requestId)
    const next = PAYMENT_REQUEST_STATES.next(
      request.status,
      'void',
      actor.kind,
      `payment request #${request.id}`
    )
    const totals = requestTotals(request, await paymentsOf(request.id, trx))
    if (totals.paid > 0 || totals.inFlight > 0) {
      const money = (value: number) => formatAmount(value, request.currency)
      throw DomainError.conflict(
        `Payment request #${request.id} cannot be canceled: ` +
          (totals.paid > 0
            ? `${money(totals.paid)} of it is paid.`
            : `a payment of ${money(totals.inFlight)} is on its way.`)
      )
    }
    request.useTransaction(trx)
    request.merge({ status: next, voidedAt: DateTime.now(), voidedBy: actor.label })
    await request.save()
    await recordPaymentEvent(trx, {
      paymentRequestId: request.id,
      actor: actor.label,
      type: 'payment_request.voided',
      fromStatus: 'open',
      toStatus: next,
      amount: request.amount,
      currency: request.currency,
      message: 'Canceled: the link now says so and cannot be paid',
    })
    return request
  })
}
