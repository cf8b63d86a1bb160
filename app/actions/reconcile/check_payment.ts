import type Stripe from 'stripe'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Payment, {
  CAPTURED_STATUSES,
  PAYMENT_STATES,
  paymentVerbFromStripe,
  type PaymentStatus,
} from '#models/payment'
import OrderLine from '#models/order_line'
import Refund from '#models/refund'
import Transfer, { TRANSFER_STATES } from '#models/transfer'
import TransferReversal, { REVERSAL_STATES } from '#models/transfer_reversal'
import { actors } from '#domain/actor'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount } from '#money/amounts'
import { stripe } from '#stripe/client'
import { sendToStripe } from '#stripe/write'
import {
  PAYMENT_INTENT_EXPAND,
  capturedAmountRefunded,
  chargeOf,
  destinationTransferIdOf,
} from '#stripe/payment_intents'
import { lockForOrder, lockForPaymentId } from '#actions/orders/order_lock'
import { movePayment } from '#actions/payments/move_payment'
import {
  followPayment,
  recordPaymentIntent,
  syncRefundedTotal,
} from '#actions/payments/record_payment_intent'
import { findPaymentIntentOf } from '#actions/payments/authorize_payment'
import { sendPaymentAction } from '#actions/payments/payment_actions'
import {
  failRefund,
  findRefundOnStripe,
  localRefundStatus,
  recordStripeRefund,
  sendRefund,
} from '#actions/refunds/refund_records'
import { sendTransfer } from '#actions/transfers/line_transfer'
import { sendTransferReversal } from '#actions/transfers/reverse_transfer'
import { followReversedTotal } from '#actions/transfers/destination_reversals'
import { DriftList, pastGrace, youngNote, type ReconcileOptions } from '#actions/reconcile/drifts'

/*
| One payment against Stripe: its status and amounts against its
| PaymentIntent, its lines against its status, its refunds against Stripe's,
| its transfers and their reversals. Read only for the report; with --fix,
| under the order's lock, through the same recorders as webhooks and
| commands; writes it had decided but never got an answer for (a capture, a
| transfer, a canceled line's refund) are sent again with their own keys
| after the lock is released.
*/

/** The local statuses that agree with a PaymentIntent's status (null: no opinion) */
function agreeingStatuses(paymentIntent: Stripe.PaymentIntent): PaymentStatus[] | null {
  switch (paymentIntent.status) {
    case 'requires_capture':
      return ['authorized']
    case 'succeeded':
      return CAPTURED_STATUSES
    case 'canceled':
      return ['canceled']
    case 'processing':
      return ['processing']
    case 'requires_action':
      return ['requires_action']
    case 'requires_payment_method':
    case 'requires_confirmation':
      return ['failed', 'pending']
    default:
      return null
  }
}

async function allRefundsOf(paymentIntentId: string) {
  const refunds: Stripe.Refund[] = []
  for await (const refund of stripe().refunds.list({
    payment_intent: paymentIntentId,
    limit: 100,
  })) {
    refunds.push(refund)
  }
  return refunds
}

/** A read the locked pass needs that the unlocked one did not make: the record changed meanwhile */
export class ChangedMeanwhile extends Error {}

/**
 * Stripe's side of one payment, read once: first without any lock (the
 * report), then reused under the order's lock to fix, so no lock or
 * connection is held while Stripe answers. A read the locked pass needs and
 * the first did not make means the payment changed meanwhile: that payment is
 * left for the next run.
 */
export class StripeReads {
  private cache = new Map<string, Promise<unknown>>()
  private frozen = false

  read<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    if (!this.cache.has(key)) {
      if (this.frozen) {
        throw new ChangedMeanwhile(key)
      }
      this.cache.set(key, fetch())
    }
    return this.cache.get(key) as Promise<T>
  }

  freeze() {
    this.frozen = true
  }

  /** Whether `key` can be read: always before the lock, only what was read already under it */
  canRead(key: string) {
    return !this.frozen || this.cache.has(key)
  }
}

export class PaymentCheck {
  list: DriftList
  refundsChecked = 0
  transfersChecked = 0

  constructor(
    private trx: TransactionClientContract | null,
    readonly payment: Payment,
    private options: ReconcileOptions,
    private stripeReads = new StripeReads()
  ) {
    this.list = new DriftList(PaymentCheck.subjectOf(payment), trx)
  }

  static subjectOf(payment: Payment) {
    return payment.orderId
      ? `payment #${payment.id} (order #${payment.orderId})`
      : payment.paymentRequestId
        ? `payment #${payment.id} (payment request #${payment.paymentRequestId})`
        : `payment #${payment.id}`
  }

  private get reading() {
    return { client: this.trx ?? undefined }
  }

  private get actor() {
    return actors.stripe(this.options.actor)
  }

  private money(value: number) {
    return formatAmount(value, this.payment.currency)
  }

  async run() {
    const payment = this.payment
    if (payment.status === 'pending') {
      return this.pending()
    }
    if (!payment.stripePaymentIntentId) {
      return
    }
    const paymentIntentId = payment.stripePaymentIntentId
    const paymentIntent = await this.stripeReads.read(`pi:${paymentIntentId}`, () =>
      stripe().paymentIntents.retrieve(paymentIntentId, { expand: PAYMENT_INTENT_EXPAND })
    )
    const charge = chargeOf(paymentIntent)
    // Decided from Stripe and the payment as read, before its status is
    // fixed: the report and the fix check the same things
    const succeeded = paymentIntent.status === 'succeeded'
    const capturedHere = succeeded && payment.isCaptured
    const forward = this.movesForward(paymentIntent)
    const agreeing = agreeingStatuses(paymentIntent)
    const statusAgrees = !agreeing || agreeing.includes(payment.status)
    const refundedAsRead = payment.amountRefunded

    await this.status(paymentIntent, forward)
    await this.pendingAction(paymentIntent)
    if (capturedHere) {
      await this.captured(paymentIntent)
    }
    if (succeeded && charge?.captured && (capturedHere || forward)) {
      await this.refunds(charge, refundedAsRead)
    }
    // Lines follow a status Stripe agrees with: one moved forward above took
    // its lines along; one Stripe contradicts (a person must look) must not
    // pay out or close its lines on its own say-so
    if (statusAgrees) {
      await this.lines(paymentIntent)
    }
    await this.transfers()
  }

  /** Whether Stripe's state is a step forward from the payment's (so --fix may take it) */
  private movesForward(paymentIntent: Stripe.PaymentIntent) {
    const verb = paymentVerbFromStripe(paymentIntent)
    return verb !== null && PAYMENT_STATES.can(this.payment.status, verb, 'stripe')
  }

  /** A pending payment: its authorization's outcome was never recorded */
  private async pending() {
    const payment = this.payment
    const paymentIntent = await this.stripeReads.read(`pi-of:${payment.id}`, () =>
      findPaymentIntentOf(payment)
    )
    if (!paymentIntent) {
      if (!pastGrace(payment)) {
        this.list.note(youngNote(PaymentCheck.subjectOf(payment), payment))
        return
      }
      await this.list.add(
        {
          problem: 'authorization never reached Stripe',
          local: 'pending',
          stripe: 'no PaymentIntent',
          fix: 'mark the payment failed (nothing was held)',
        },
        async (trx) => {
          const system = actors.system(this.options.actor)
          await movePayment(trx, payment, 'fail', system, {
            set: {
              failureMessage: payment.paymentRequestId
                ? 'The payment never reached Stripe: nothing was charged. Pay again.'
                : 'The payment never reached Stripe: nothing was charged. Place the order again.',
            },
            message: 'Found by reconciliation: no PaymentIntent on Stripe',
          })
          await followPayment(trx, payment, system)
        }
      )
      return
    }
    const forward = this.movesForward(paymentIntent)
    await this.list.add(
      {
        problem: 'authorization outcome not recorded',
        local: 'pending',
        stripe: `${paymentIntent.id} ${paymentIntent.status}`,
        fix: forward ? 'settle the payment from its PaymentIntent' : null,
      },
      (trx) => recordPaymentIntent(trx, payment, paymentIntent, this.actor)
    )
  }

  private async status(paymentIntent: Stripe.PaymentIntent, forward: boolean) {
    const agreeing = agreeingStatuses(paymentIntent)
    if (!agreeing || agreeing.includes(this.payment.status)) {
      return
    }
    await this.list.add(
      {
        problem: 'status',
        local: this.payment.status,
        stripe: `${paymentIntent.id} ${paymentIntent.status}`,
        fix: forward ? 'move the payment forward to match Stripe' : null,
      },
      (trx) => recordPaymentIntent(trx, this.payment, paymentIntent, this.actor)
    )
  }

  /** A capture or release written but never answered */
  private async pendingAction(paymentIntent: Stripe.PaymentIntent) {
    const payment = this.payment
    if (!payment.pendingAction || paymentIntent.status !== 'requires_capture') {
      return
    }
    this.list.addLater(
      {
        problem: `${payment.pendingAction} not answered`,
        local: `${payment.pendingAction} pending since ${payment.pendingActionAt?.toISO() ?? '?'}`,
        stripe: `${paymentIntent.id} ${paymentIntent.status}`,
        fix: `send the ${payment.pendingAction} again (same key)`,
      },
      async () => {
        const row = await Payment.findOrFail(payment.id)
        if (!row.pendingAction) {
          return true
        }
        const outcome = await sendToStripe(sendPaymentAction, row, { lookFirst: true })
        return outcome.kind !== 'unknown'
      }
    )
  }

  /** Captured amount, fee and charge of a captured payment, and a hold's destination transfer */
  private async captured(paymentIntent: Stripe.PaymentIntent) {
    const payment = this.payment
    const set: Partial<Payment> = {}
    const problems: string[] = []
    const expect = async (
      problem: string,
      local: string,
      onStripe: string,
      fixable: boolean,
      change: Partial<Payment>
    ) => {
      this.list.drifts.push({
        subject: PaymentCheck.subjectOf(payment),
        problem,
        local,
        stripe: onStripe,
        fix: fixable ? "take Stripe's value" : null,
        fixed: false,
      })
      if (fixable) {
        Object.assign(set, change)
        problems.push(problem)
      }
    }
    if (payment.amountCaptured !== paymentIntent.amount_received) {
      await expect(
        'captured amount',
        this.money(payment.amountCaptured),
        this.money(paymentIntent.amount_received),
        paymentIntent.amount_received >= payment.amountRefunded,
        { amountCaptured: paymentIntent.amount_received }
      )
    }
    const fee = paymentIntent.application_fee_amount
    // Destination charges: an order's hold, a payment request's payment
    if (
      payment.flow !== 'charge' &&
      typeof fee === 'number' &&
      fee !== payment.applicationFeeAmount
    ) {
      await expect(
        'platform fee',
        this.money(payment.applicationFeeAmount ?? 0),
        this.money(fee),
        true,
        { applicationFeeAmount: fee }
      )
    }
    const charge = chargeOf(paymentIntent)
    if (charge && payment.stripeChargeId !== charge.id) {
      await expect(
        'charge id',
        payment.stripeChargeId ?? 'none',
        charge.id,
        !payment.stripeChargeId,
        {
          stripeChargeId: charge.id,
        }
      )
    }
    if (this.trx && problems.length > 0) {
      payment.useTransaction(this.trx)
      payment.merge(set)
      await payment.save()
      await recordPaymentEvent(this.trx, {
        orderId: payment.orderId,
        paymentId: payment.id,
        actor: this.options.actor,
        type: 'payment.reconciled',
        amount: payment.amountCaptured,
        currency: payment.currency,
        stripeId: paymentIntent.id,
        message: `Took Stripe's ${problems.join(', ')}`,
      })
      for (const drift of this.list.drifts) {
        if (drift.fix === "take Stripe's value") {
          drift.fixed = true
        }
      }
    }

    const transferId = destinationTransferIdOf(paymentIntent)
    if (payment.flow !== 'charge' && transferId) {
      const recorded = await Transfer.query(this.reading).where('paymentId', payment.id).first()
      if (!recorded) {
        await this.list.add(
          {
            problem: 'destination transfer not recorded',
            local: 'none',
            stripe: transferId,
            fix: 'record it',
          },
          (trx) => followPayment(trx, payment, this.actor, paymentIntent)
        )
      } else if (recorded.stripeTransferId !== transferId) {
        await this.list.add({
          problem: 'transfer id',
          local: recorded.stripeTransferId ?? 'none',
          stripe: transferId,
          fix: null,
        })
      }
    }
  }

  /** Lines that do not follow their payment (a crash between the two) */
  private async lines(paymentIntent: Stripe.PaymentIntent) {
    const payment = this.payment
    if (!payment.orderId) {
      return
    }
    const lines = await OrderLine.query(this.reading).where('orderId', payment.orderId)
    const stale =
      payment.flow === 'hold'
        ? (payment.isCaptured && lines.some((line) => line.isOpen)) ||
          (['canceled', 'failed'].includes(payment.status) && lines.some((line) => line.isOpen))
        : ['canceled', 'failed'].includes(payment.status) && lines.some((line) => line.isOpen)
    if (!stale) {
      return
    }
    await this.list.add(
      {
        problem: 'lines do not follow their payment',
        local: lines.map((line) => `#${line.id} ${line.status}`).join(', '),
        stripe: `${paymentIntent.id} ${paymentIntent.status}`,
        fix: 'approve or cancel the lines as the payment says',
      },
      (trx) => followPayment(trx, payment, this.actor, paymentIntent)
    )
  }

  /** Refund rows against Stripe's refunds, then the payment's refunded total */
  private async refunds(charge: Stripe.Charge, refundedAsRead: number) {
    const payment = this.payment
    const onStripe = await this.stripeReads.read(`refunds:${payment.stripePaymentIntentId}`, () =>
      allRefundsOf(payment.stripePaymentIntentId!)
    )
    const rows = await Refund.query(this.reading).where('paymentId', payment.id).orderBy('id')
    this.refundsChecked += rows.length
    const known = new Set<string>()
    const where = payment.orderId ? ` (order #${payment.orderId})` : ''

    for (const row of rows) {
      const subject = `refund #${row.id}${where}`
      const match = await findRefundOnStripe(payment, row, onStripe)
      if (match) {
        known.add(match.id)
      }
      const amount = formatAmount(row.amount, row.currency)
      if (row.status === 'pending') {
        if (match) {
          await this.list.add(
            {
              subject,
              problem: 'outcome not recorded',
              local: `pending ${amount}`,
              stripe: `${match.id} ${match.status}`,
              fix: "record Stripe's outcome",
            },
            (trx) => recordStripeRefund(trx, row, match, charge, this.options.actor)
          )
        } else if (row.cause === 'line_canceled') {
          // Decided by the app when the line closed: completed, not abandoned
          this.list.addLater(
            {
              subject,
              problem: 'not sent to Stripe yet',
              local: `pending ${amount}`,
              stripe: 'no refund',
              fix: 'send it (its own key)',
            },
            async () => {
              const outcome = await sendToStripe(sendRefund, row)
              return outcome.kind !== 'unknown'
            }
          )
        } else if (!row.stripeRefundId && !pastGrace(row)) {
          this.list.note(youngNote(subject, row))
        } else if (!row.stripeRefundId) {
          await this.list.add(
            {
              subject,
              problem: 'never reached Stripe',
              local: `pending ${amount}`,
              stripe: 'no refund',
              fix: 'mark it failed (nothing was refunded)',
            },
            async (trx) => {
              await failRefund(
                trx,
                row,
                'Never reached Stripe: nothing was refunded (found by reconciliation).',
                this.options.actor,
                'system'
              )
              const reversal = await TransferReversal.query({ client: trx })
                .where('refundId', row.id)
                .where('status', 'pending')
                .first()
              if (reversal) {
                reversal.useTransaction(trx)
                reversal.merge({
                  status: REVERSAL_STATES.reach(reversal.status, 'failed', 'system'),
                  failureMessage: 'Its refund never reached Stripe.',
                })
                await reversal.save()
              }
            }
          )
        }
        continue
      }
      if (row.status === 'failed' || row.status === 'canceled') {
        const landed =
          match && localRefundStatus(match) !== 'failed' && localRefundStatus(match) !== 'canceled'
        if (landed) {
          await this.list.add(
            {
              subject,
              problem: `${row.status} locally, exists on Stripe`,
              local: `${row.status} ${amount}`,
              stripe: `${match.id} ${match.status}`,
              fix: "record Stripe's outcome",
            },
            (trx) => recordStripeRefund(trx, row, match, charge, this.options.actor)
          )
        }
        continue
      }
      if (!match) {
        await this.list.add({
          subject,
          problem: 'succeeded locally, missing on Stripe',
          local: `${row.stripeRefundId ?? 'no id'} ${amount}`,
          stripe: 'no refund',
          fix: null,
        })
        continue
      }
      if (match.amount !== row.amount) {
        await this.list.add({
          subject,
          problem: 'amount',
          local: amount,
          stripe: formatAmount(match.amount, row.currency),
          fix: null,
        })
      }
      const missingDebit =
        row.contractorOwes !== null &&
        !(await db.from('contractor_debits').where('refund_id', row.id).first())
      if (localRefundStatus(match) !== 'succeeded' || missingDebit) {
        await this.list.add(
          {
            subject,
            problem: missingDebit ? 'owed debit not recorded' : 'status',
            local: row.status,
            stripe: `${match.id} ${match.status}`,
            fix: missingDebit ? 'record the debit the contractor owes' : "take Stripe's status",
          },
          (trx) => recordStripeRefund(trx, row, match, charge, this.options.actor)
        )
      }
    }

    for (const refund of onStripe) {
      if (known.has(refund.id)) {
        continue
      }
      await this.list.add(
        {
          subject: `refund ${refund.id}${where}`,
          problem: 'made on Stripe, no local record',
          local: 'none',
          stripe: `${formatAmount(refund.amount, refund.currency)} ${refund.status}`,
          fix: 'record it',
        },
        (trx) => this.recordForeignRefund(trx, refund)
      )
    }

    // Against the total as read: a status fix above may have taken Stripe's
    // total already (the same fix, reported once the report listed it)
    const refunded = capturedAmountRefunded(charge)
    if (refunded !== refundedAsRead) {
      await this.list.add(
        {
          problem: 'refunded amount',
          local: this.money(refundedAsRead),
          stripe: this.money(refunded),
          fix: refunded > refundedAsRead ? 'take Stripe’s total (as charge.refunded does)' : null,
        },
        (trx) => syncRefundedTotal(trx, payment, refunded, this.actor, charge.id)
      )
    }
  }

  /** A refund made outside the app (Stripe's Dashboard): recorded as Stripe shows it */
  private async recordForeignRefund(trx: TransactionClientContract, refund: Stripe.Refund) {
    const row = await Refund.create(
      {
        orderId: this.payment.orderId,
        paymentId: this.payment.id,
        amount: refund.amount,
        currency: refund.currency,
        reason: refund.reason ?? null,
        reverseTransfer: Boolean(refund.transfer_reversal),
        refundApplicationFee: false,
        status: localRefundStatus(refund),
        stripeRefundId: refund.id,
        initiatedBy: 'stripe',
        contractorOwes: null,
      },
      { client: trx }
    )
    await recordPaymentEvent(trx, {
      orderId: this.payment.orderId,
      paymentId: this.payment.id,
      refundId: row.id,
      actor: this.options.actor,
      type: 'refund.recorded',
      toStatus: row.status,
      amount: row.amount,
      currency: row.currency,
      stripeId: refund.id,
      message: 'Made outside Crewpay (Stripe Dashboard); recorded by reconciliation',
    })
  }

  /**
   * Transfers against Stripe (amount, destination, amount reversed): those
   * sent by Crewpay (charge flow) with their reversals, and a destination
   * charge's own transfer, which Stripe reverses with refunds
   */
  private async transfers() {
    const payment = this.payment
    const rows = await Transfer.query(this.reading)
      .where('paymentId', payment.id)
      .whereIn('kind', ['separate', 'destination'])
      .orderBy('id')
    this.transfersChecked += rows.length
    for (const row of rows) {
      // A destination transfer recorded by a fix of this very run is checked next run
      if (row.kind === 'destination' && !this.stripeReads.canRead(`tr:${row.stripeTransferId}`)) {
        continue
      }
      const subject = `transfer #${row.id}${payment.orderId ? ` (order #${payment.orderId})` : ''}`
      const amount = formatAmount(row.amount, row.currency)
      const onStripe = row.stripeTransferId
        ? await this.stripeReads.read(`tr:${row.stripeTransferId}`, () =>
            stripe().transfers.retrieve(row.stripeTransferId!)
          )
        : await this.stripeReads.read(`tr-of:${row.id}`, () => sendTransfer.find!(row))
      if (row.status === 'pending' || row.status === 'failed') {
        if (onStripe) {
          await this.list.add(
            {
              subject,
              problem:
                row.status === 'pending'
                  ? 'outcome not recorded'
                  : 'failed locally, exists on Stripe',
              local: `${row.status} ${amount}`,
              stripe: `${onStripe.id} ${formatAmount(onStripe.amount, onStripe.currency)}`,
              fix: "record Stripe's transfer",
            },
            async (trx) => {
              await lockForOrder(trx, payment.orderId)
              const locked = await Transfer.query({ client: trx })
                .where('id', row.id)
                .forUpdate()
                .firstOrFail()
              locked.merge({ status: TRANSFER_STATES.reach(locked.status, 'pending', 'stripe') })
              await sendTransfer.record(trx, locked, onStripe)
            }
          )
        } else if (row.status === 'pending') {
          this.list.addLater(
            {
              subject,
              problem: 'not sent to Stripe yet',
              local: `pending ${amount}`,
              stripe: 'no transfer',
              fix: 'send it (its own key)',
            },
            async () => {
              const outcome = await sendToStripe(sendTransfer, row, { writtenAt: row.createdAt })
              return outcome.kind !== 'unknown'
            }
          )
        } else {
          await this.list.add({
            subject,
            problem: 'transfer failed',
            local: `failed ${amount}: ${row.failureMessage ?? ''}`,
            stripe: 'no transfer',
            fix: null,
          })
        }
        continue
      }
      if (!onStripe) {
        await this.list.add({
          subject,
          problem: 'paid locally, missing on Stripe',
          local: `${row.stripeTransferId ?? 'no id'} ${amount}`,
          stripe: 'no transfer',
          fix: null,
        })
        continue
      }
      if (onStripe.amount !== row.amount) {
        await this.list.add({
          subject,
          problem: 'amount',
          local: amount,
          stripe: formatAmount(onStripe.amount, onStripe.currency),
          fix: null,
        })
      }
      const destination =
        typeof onStripe.destination === 'string' ? onStripe.destination : onStripe.destination?.id
      if (destination !== row.destination) {
        await this.list.add({
          subject,
          problem: 'destination',
          local: row.destination,
          stripe: destination ?? 'none',
          fix: null,
        })
      }
      if (onStripe.amount_reversed !== row.amountReversed) {
        await this.list.add(
          {
            subject,
            problem: 'amount reversed',
            local: formatAmount(row.amountReversed, row.currency),
            stripe: formatAmount(onStripe.amount_reversed, onStripe.currency),
            fix: onStripe.amount_reversed > row.amountReversed ? "take Stripe's total" : null,
          },
          async (trx) => {
            const locked = await Transfer.query({ client: trx })
              .where('id', row.id)
              .forUpdate()
              .firstOrFail()
            await followReversedTotal(trx, payment, locked, onStripe, this.options.actor, {
              message:
                `Reversed on Stripe outside Crewpay: ${formatAmount(onStripe.amount_reversed, row.currency)} ` +
                'in total (recorded by reconciliation)',
            })
          }
        )
      }
      await this.reversals(row)
    }
  }

  private async reversals(transfer: Transfer) {
    const rows = await TransferReversal.query(this.reading)
      .where('transferId', transfer.id)
      .where('status', 'pending')
    for (const row of rows) {
      const subject = `reversal #${row.id} (transfer #${transfer.id})`
      const found = await this.stripeReads.read(`trr-of:${row.id}`, () =>
        sendTransferReversal.find!(row)
      )
      if (found) {
        await this.list.add(
          {
            subject,
            problem: 'outcome not recorded',
            local: `pending ${formatAmount(row.amount, row.currency)}`,
            stripe: found.id,
            fix: "record Stripe's reversal",
          },
          (trx) => sendTransferReversal.record(trx, row, found)
        )
      } else if (!pastGrace(row)) {
        this.list.note(youngNote(subject, row))
      } else {
        this.list.addLater(
          {
            subject,
            problem: 'not sent to Stripe yet',
            local: `pending ${formatAmount(row.amount, row.currency)}`,
            stripe: 'no reversal',
            fix: 'send it (its own key), then its refund',
          },
          async () => {
            const outcome = await sendToStripe(sendTransferReversal, row)
            return outcome.kind !== 'unknown'
          }
        )
      }
    }
  }
}

/**
 * One payment against Stripe: read (Stripe included) without any lock for the
 * report; to fix, read the same way first, then checked again under its
 * order's lock with those answers (no Stripe call while the lock is held).
 */
export async function checkPayment(paymentId: number, options: ReconcileOptions) {
  const reads = new StripeReads()
  const unlocked = new PaymentCheck(null, await Payment.findOrFail(paymentId), options, reads)
  await unlocked.run()
  if (!options.fix) {
    return unlocked
  }
  reads.freeze()
  let found: PaymentCheck
  try {
    found = await db.transaction(async (trx) => {
      await lockForPaymentId(trx, paymentId)
      const payment = await Payment.query({ client: trx })
        .where('id', paymentId)
        .forUpdate()
        .firstOrFail()
      const locked = new PaymentCheck(trx, payment, options, reads)
      await locked.run()
      return locked
    })
  } catch (error) {
    if (!(error instanceof ChangedMeanwhile)) {
      throw error
    }
    unlocked.list.note(
      `${PaymentCheck.subjectOf(unlocked.payment)}: changed while it was being checked; left for the next run.`
    )
    return unlocked
  }
  for (const work of found.list.later) {
    await work()
  }
  return found
}
