import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Stripe from 'stripe'
import Order from '#models/order'
import OrderLine, { type LineStatus } from '#models/order_line'
import Payment from '#models/payment'
import type Refund from '#models/refund'
import type Transfer from '#models/transfer'
import type ContractorDebit from '#models/contractor_debit'
import User from '#models/user'
import type { Actor } from '#domain/actor'
import type { MarketplaceConfig } from '#config/marketplace'
import { notify } from '#mails/notify'
import { chargeOf } from '#stripe/payment_intents'

/*
|--------------------------------------------------------------------------
| What each party is told about an order, by email
|--------------------------------------------------------------------------
|
| Called inside the transaction of the change it announces: the mail is sent
| after the commit by a job, never if the change rolls back, and once per
| key (`line:<id>:delivered`…), however often the change is replayed (a
| webhook delivered twice, reconciliation). Contractors only ever hear about
| their own lines, with their own amounts.
|
*/

async function userOf(trx: TransactionClientContract, id: number) {
  return User.findOrFail(id, { client: trx })
}

async function linesOf(trx: TransactionClientContract, orderId: number) {
  return OrderLine.query({ client: trx }).where('orderId', orderId).orderBy('id')
}

/** When a delivered line is settled if nobody approves it, and what happens then */
export async function settlementOf(
  trx: TransactionClientContract,
  line: OrderLine
): Promise<{ at: DateTime; policy: 'capture' | 'release' } | null> {
  const policy = app.config.get<MarketplaceConfig>('marketplace')
  const payment = await Payment.query({ client: trx })
    .where('orderId', line.orderId)
    .whereNotIn('status', ['failed', 'canceled'])
    .first()
  if (!payment) {
    return null
  }
  if (payment.flow === 'hold') {
    if (!payment.captureBefore) {
      return null
    }
    return {
      at: payment.captureBefore.minus({ hours: policy.holdMarginHours }),
      policy: policy.deliveredHoldPolicy,
    }
  }
  return {
    at: (line.deliveredAt ?? DateTime.now()).plus({ days: policy.autoApproveDays }),
    policy: 'capture',
  }
}

/** A line moved: the other party hears of it */
export async function mailLineChange(
  trx: TransactionClientContract,
  line: OrderLine,
  to: LineStatus,
  actor: Actor
) {
  const order = await Order.findOrFail(line.orderId, { client: trx })
  const ref = {
    orderId: order.id,
    title: line.title,
    amount: line.amount,
    currency: order.currency,
  }
  switch (to) {
    case 'accepted': {
      const contractor = await userOf(trx, line.contractorId)
      await notify(trx, {
        key: `line:${line.id}:accepted`,
        to: { userId: order.employerId },
        message: 'order_accepted',
        data: { ...ref, contractorName: contractor.fullName },
      })
      return
    }
    case 'declined': {
      const contractor = await userOf(trx, line.contractorId)
      await notify(trx, {
        key: `line:${line.id}:declined`,
        to: { userId: order.employerId },
        message: 'order_declined',
        data: { ...ref, contractorName: contractor.fullName, reason: line.declineReason },
      })
      return
    }
    case 'delivered': {
      const settlement = await settlementOf(trx, line)
      if (!settlement) {
        return
      }
      const contractor = await userOf(trx, line.contractorId)
      await notify(trx, {
        key: `line:${line.id}:delivered`,
        to: { userId: order.employerId },
        message: 'order_delivered',
        data: {
          ...ref,
          contractorName: contractor.fullName,
          approveBy: settlement.at.toISO()!,
          policy: settlement.policy,
        },
      })
      return
    }
    case 'canceled': {
      // The contractor hears when the employer cancels; Crewpay's own
      // cancellations (a failed or released payment) are told with the payment
      if (actor.kind !== 'employer') {
        return
      }
      const employer = await userOf(trx, order.employerId)
      await notify(trx, {
        key: `line:${line.id}:canceled`,
        to: { userId: line.contractorId },
        message: 'order_canceled',
        data: { ...ref, employerName: employer.fullName },
      })
      return
    }
    default:
  }
}

/** "Visa ending in 4242", from the charge (brand and last 4 only) */
function methodOf(paymentIntent?: Stripe.PaymentIntent) {
  const details = paymentIntent ? chargeOf(paymentIntent)?.payment_method_details : null
  if (details?.card) {
    const brand = details.card.brand ?? 'card'
    return `${brand.charAt(0).toUpperCase()}${brand.slice(1)} ending in ${details.card.last4}`
  }
  if (details?.us_bank_account) {
    return `${details.us_bank_account.bank_name ?? 'Bank account'} ending in ${details.us_bank_account.last4}`
  }
  return null
}

/**
 * A payment moved: when the money is held or collected, each contractor
 * hears of their new request; when it is collected, the employer gets a
 * receipt.
 */
export async function mailPaymentChange(
  trx: TransactionClientContract,
  payment: Payment,
  paymentIntent?: Stripe.PaymentIntent,
  /** The order's lines, when the caller has just read them in `trx` */
  known?: OrderLine[] | void
) {
  if (payment.orderId === null) {
    return
  }
  const confirmed = ['authorized', 'processing', 'succeeded'].includes(payment.status)
  if (!confirmed) {
    return
  }
  const order = await Order.findOrFail(payment.orderId, { client: trx })
  const lines = known || (await linesOf(trx, order.id))
  const employer = await userOf(trx, order.employerId)
  for (const line of lines.filter((candidate) => candidate.status === 'requested')) {
    await notify(trx, {
      key: `line:${line.id}:requested`,
      to: { userId: line.contractorId },
      message: 'order_requested',
      data: {
        orderId: order.id,
        title: line.title,
        amount: line.amount,
        currency: order.currency,
        employerName: employer.fullName,
        note: order.note,
      },
    })
  }
  if (payment.status === 'succeeded') {
    await notify(trx, {
      key: `payment:${payment.id}:receipt`,
      to: { userId: order.employerId },
      message: 'payment_receipt',
      data: {
        orderId: order.id,
        title: lines.length === 1 ? lines[0].title : `${lines.length} services`,
        amount: payment.amountCaptured,
        currency: payment.currency,
        capturedAt: (payment.succeededAt ?? DateTime.now()).toISO()!,
        paymentMethod: methodOf(paymentIntent),
      },
    })
  }
}

/** A line's contractor was paid */
export async function mailTransferPaid(trx: TransactionClientContract, transfer: Transfer) {
  if (!transfer.orderLineId) {
    return
  }
  const line = await OrderLine.findOrFail(transfer.orderLineId, { client: trx })
  const order = await Order.findOrFail(line.orderId, { client: trx })
  const net = line.amount - line.feeAmount - (transfer.stripeFeeShare ?? 0)
  await notify(trx, {
    key: `transfer:${transfer.id}:paid`,
    to: { userId: line.contractorId },
    message: 'order_paid',
    data: {
      orderId: order.id,
      title: line.title,
      amount: line.amount,
      currency: order.currency,
      fee: line.amount - net,
      net,
    },
  })
}

/**
 * A refund succeeded: the employer hears of the money back; the contractor,
 * of what was taken back from them (`reversed`, when their share came back)
 */
export async function mailRefund(trx: TransactionClientContract, refund: Refund, reversed: number) {
  if (refund.orderId === null) {
    return
  }
  const order = await Order.findOrFail(refund.orderId, { client: trx })
  const lines = await linesOf(trx, order.id)
  const line = refund.orderLineId
    ? lines.find((candidate) => candidate.id === refund.orderLineId)
    : lines.length === 1
      ? lines[0]
      : null
  const payment = await Payment.findOrFail(refund.paymentId, { client: trx })
  const title = line?.title ?? `${lines.length} services`
  await notify(trx, {
    key: `refund:${refund.id}:issued`,
    to: { userId: order.employerId },
    message: 'refund_issued',
    data: {
      orderId: order.id,
      title,
      amount: payment.amountCaptured,
      currency: refund.currency,
      refunded: refund.amount,
      refundedTotal: payment.amountRefunded,
      reason: refund.reason,
    },
  })
  if (line && reversed > 0) {
    await notify(trx, {
      key: `refund:${refund.id}:reversed`,
      to: { userId: line.contractorId },
      message: 'refund_reversed',
      data: {
        orderId: order.id,
        title: line.title,
        amount: line.amount,
        currency: refund.currency,
        reversed,
      },
    })
  }
}

/** An account debit went through */
export async function mailDebit(trx: TransactionClientContract, debit: ContractorDebit) {
  const line = debit.orderLineId ? await OrderLine.find(debit.orderLineId, { client: trx }) : null
  await notify(trx, {
    key: `contractor_debit:${debit.id}:succeeded`,
    to: { userId: debit.contractorId },
    message: 'contractor_debited',
    data: {
      debitId: debit.id,
      orderId: debit.orderId,
      title: line?.title ?? null,
      amount: debit.amount,
      currency: debit.currency,
      reason: debit.reason,
    },
  })
}
