import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Order, { HELD_STATUSES, type OrderStatus } from '#models/order'
import Refund from '#models/refund'
import ContractorDebit from '#models/contractor_debit'
import StripeEvent from '#models/stripe_event'
import UserProfile from '#models/user_profile'
import User from '#models/user'
import { moveOrder, withLockedOrder } from '#actions/orders/order_state'
import { settleFromPaymentIntent } from '#actions/orders/settle_from_stripe'
import { capturedAmountRefunded, syncRefundTotals } from '#actions/orders/sync_refunds'
import {
  applyStripeRefund,
  failRefund,
  findRefundOnStripe,
  localStatus,
} from '#actions/orders/refund_order'
import { transferIdOf } from '#actions/orders/authorize_order'
import {
  applyStripeDebit,
  failDebit,
  findDebitOnStripe,
  withLockedContractor,
} from '#actions/contractors/debit_contractor'
import { processStoredEvent } from '#actions/stripe_events/receive_event'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount } from '#money/amounts'
import { stripe } from '#stripe/client'
import { describeStripeError, isStripeError } from '#stripe/errors'

/*
|--------------------------------------------------------------------------
| Reconciliation: local orders, refunds and debits against Stripe
|--------------------------------------------------------------------------
|
| Stripe is the source of truth for money. Every difference is a drift; with
| `fix` the ones that follow a transition the app knows are applied, each
| under the row lock of its order (or contractor), through the same code as
| webhooks and commands: settleFromPaymentIntent, syncRefundTotals, the
| refund and debit recorders. Nothing moves backwards (an order Stripe shows
| as held is never "uncaptured"): those drifts are reported for a person.
|
| Rows written before a Stripe call whose answer was never recorded (pending
| orders, refunds and debits) are looked up on Stripe. Found: their outcome is
| recorded. Not found: once older than PENDING_GRACE_MINUTES, the request is
| taken to have never reached Stripe; the row is closed (failed; an owed debit
| goes back to owed), and nothing is sent to Stripe on the admin's behalf:
| running the command again makes it. Younger ones are left alone (a note):
| their request may still be on its way.
|
| Closed rows (failed refunds and debits, owed debits) are looked up too: one
| that exists on Stripe after all (a request that landed late) takes Stripe's
| outcome.
|
| Stored webhook events that were never applied are applied first.
|
*/

export interface Drift {
  /** "order #42", "refund #3 (order #42)", "debit #2", "event evt_…" */
  subject: string
  problem: string
  local: string
  stripe: string
  /** What --fix does about it; null when it needs a person */
  fix: string | null
  fixed: boolean
}

export interface ReconcileReport {
  drifts: Drift[]
  checked: { orders: number; refunds: number; debits: number; events: number }
  /** Things worth knowing that are not drifts (debits contractors owe) */
  notes: string[]
}

export interface ReconcileOptions {
  /** Only orders, debits and events created (received) since then */
  since?: DateTime | null
  fix: boolean
  actor: string
}

const CAPTURED_STATUSES: OrderStatus[] = ['captured', 'partially_refunded', 'refunded']

/**
 * How long a pending order, refund or debit that Stripe does not have is left
 * alone: its request may still be on its way (a timeout, a slow network).
 * Older, it is taken to have never reached Stripe and --fix closes it.
 */
export const PENDING_GRACE_MINUTES = 10

/** Whether a pending row (last written at `updatedAt`) is past the grace period */
function pastGrace(row: { updatedAt: DateTime }) {
  return row.updatedAt < DateTime.now().minus({ minutes: PENDING_GRACE_MINUTES })
}

function youngNote(subject: string, row: { updatedAt: DateTime }) {
  const minutes = Math.floor(-row.updatedAt.diffNow('minutes').minutes)
  return (
    `${subject}: pending for ${minutes} minute(s), not on Stripe (yet); left alone until it is ` +
    `${PENDING_GRACE_MINUTES} minutes old.`
  )
}

function problemText(error: unknown) {
  if (isStripeError(error)) {
    return describeStripeError(error).message
  }
  return error instanceof Error ? error.message.split('\n')[0] : String(error)
}

/** The order's PaymentIntent when our own write of its id was lost (metadata order_id) */
async function findIntentForOrder(order: Order) {
  const employer = await UserProfile.findBy('userId', order.employerId)
  if (!employer?.stripeId) {
    return null
  }
  let newest: Stripe.PaymentIntent | null = null
  for await (const paymentIntent of stripe().paymentIntents.list({
    customer: employer.stripeId,
    limit: 100,
  })) {
    if (paymentIntent.metadata?.order_id === String(order.id)) {
      if (!newest || paymentIntent.created > newest.created) {
        newest = paymentIntent
      }
    }
  }
  if (!newest) {
    return null
  }
  return stripe().paymentIntents.retrieve(newest.id, { expand: ['latest_charge'] })
}

/** The local statuses that agree with a PaymentIntent's status (null: no opinion) */
function agreeingStatuses(paymentIntent: Stripe.PaymentIntent): OrderStatus[] | null {
  switch (paymentIntent.status) {
    case 'requires_capture':
      return HELD_STATUSES
    case 'succeeded':
      return CAPTURED_STATUSES
    case 'canceled':
      return ['canceled', 'expired']
    case 'requires_payment_method':
    case 'requires_confirmation':
    case 'requires_action':
      return ['failed', 'pending']
    default:
      return null
  }
}

/** Whether settleFromPaymentIntent moves this order forward to match Stripe */
function settlesForward(order: Order, paymentIntent: Stripe.PaymentIntent) {
  const open = order.status === 'pending' || HELD_STATUSES.includes(order.status)
  switch (paymentIntent.status) {
    case 'succeeded':
    case 'canceled':
      return open
    case 'requires_capture':
      return order.status === 'pending'
    case 'requires_payment_method':
      return order.status === 'pending' && Boolean(paymentIntent.last_payment_error)
    default:
      return false
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

class OrderCheck {
  drifts: Drift[] = []
  notes: string[] = []
  refundsChecked = 0

  /** `trx`: the transaction holding the order's lock, to fix in; null for the report (reads only) */
  constructor(
    private trx: TransactionClientContract | null,
    private order: Order,
    private options: ReconcileOptions
  ) {}

  private get reading() {
    return { client: this.trx ?? undefined }
  }

  private get subject() {
    return `order #${this.order.id}`
  }

  private add(drift: Omit<Drift, 'fixed' | 'subject'> & { subject?: string }) {
    const entry: Drift = { subject: this.subject, ...drift, fixed: false }
    this.drifts.push(entry)
    return entry
  }

  private async applying(drift: Drift, work: (trx: TransactionClientContract) => Promise<unknown>) {
    if (this.trx && drift.fix) {
      await work(this.trx)
      drift.fixed = true
    }
  }

  async run() {
    const order = this.order
    if (order.status === 'pending') {
      return this.pending()
    }
    if (!order.stripePaymentIntentId) {
      return
    }
    const paymentIntent = await stripe().paymentIntents.retrieve(order.stripePaymentIntentId, {
      expand: ['latest_charge'],
    })
    const charge =
      paymentIntent.latest_charge && typeof paymentIntent.latest_charge === 'object'
        ? paymentIntent.latest_charge
        : null
    // Decided from Stripe and the order as read, before its status is fixed:
    // the report and the fix check the same things. Captured amounts of an
    // order the status fix captures come from its PaymentIntent then.
    const succeeded = paymentIntent.status === 'succeeded'
    const capturedHere = succeeded && CAPTURED_STATUSES.includes(order.status)
    const refundable =
      succeeded &&
      Boolean(charge?.captured) &&
      (capturedHere || settlesForward(order, paymentIntent))

    await this.status(paymentIntent)
    if (capturedHere) {
      await this.captured(paymentIntent, charge)
    }
    if (refundable) {
      await this.refunds(charge!)
    }
  }

  /** A pending order: its authorization's outcome was never recorded */
  private async pending() {
    const order = this.order
    const paymentIntent = order.stripePaymentIntentId
      ? await stripe().paymentIntents.retrieve(order.stripePaymentIntentId, {
          expand: ['latest_charge'],
        })
      : await findIntentForOrder(order)
    if (!paymentIntent) {
      if (!pastGrace(order)) {
        this.notes.push(youngNote(this.subject, order))
        return
      }
      const drift = this.add({
        problem: 'authorization never reached Stripe',
        local: 'pending',
        stripe: 'no PaymentIntent',
        fix: 'mark the order failed (nothing was held)',
      })
      await this.applying(drift, (trx) =>
        moveOrder(trx, order, 'failed', {
          actor: this.options.actor,
          type: 'order.authorization_failed',
          set: {
            failureMessage:
              'The card authorization never reached Stripe: nothing was held. Place the order again.',
          },
          message: 'Found by reconciliation: no PaymentIntent on Stripe',
        })
      )
      return
    }
    const forward = settlesForward(order, paymentIntent)
    const drift = this.add({
      problem: 'authorization outcome not recorded',
      local: 'pending',
      stripe: `${paymentIntent.id} ${paymentIntent.status}`,
      fix: forward ? 'settle the order from its PaymentIntent' : null,
    })
    await this.applying(drift, (trx) =>
      settleFromPaymentIntent(trx, order, paymentIntent, this.options.actor)
    )
  }

  private async status(paymentIntent: Stripe.PaymentIntent) {
    const order = this.order
    const agreeing = agreeingStatuses(paymentIntent)
    if (!agreeing || agreeing.includes(order.status)) {
      return
    }
    const forward = settlesForward(order, paymentIntent)
    const drift = this.add({
      problem: 'status',
      local: order.status,
      stripe: `${paymentIntent.id} ${paymentIntent.status}`,
      fix: forward ? 'move the order forward to match Stripe' : null,
    })
    await this.applying(drift, (trx) =>
      settleFromPaymentIntent(trx, order, paymentIntent, this.options.actor)
    )
  }

  /** Captured amount, fee, charge and transfer of a captured order */
  private async captured(paymentIntent: Stripe.PaymentIntent, charge: Stripe.Charge | null) {
    const order = this.order
    const set: Partial<Order> = {}
    const found: Drift[] = []
    const expect = (
      problem: string,
      local: string,
      onStripe: string,
      fixable: boolean,
      change: Partial<Order>
    ) => {
      found.push(
        this.add({
          problem,
          local,
          stripe: onStripe,
          fix: fixable ? "take Stripe's value" : null,
        })
      )
      if (fixable) {
        Object.assign(set, change)
      }
    }

    if (order.amountCaptured !== paymentIntent.amount_received) {
      expect(
        'captured amount',
        formatAmount(order.amountCaptured, order.currency),
        formatAmount(paymentIntent.amount_received, order.currency),
        paymentIntent.amount_received >= order.amountRefunded,
        { amountCaptured: paymentIntent.amount_received }
      )
    }
    const fee = paymentIntent.application_fee_amount
    if (fee !== null && fee !== undefined && fee !== order.applicationFeeAmount) {
      expect(
        'platform fee',
        formatAmount(order.applicationFeeAmount, order.currency),
        formatAmount(fee, order.currency),
        true,
        { applicationFeeAmount: fee }
      )
    }
    if (charge && order.stripeChargeId !== charge.id) {
      expect('charge id', order.stripeChargeId ?? 'none', charge.id, !order.stripeChargeId, {
        stripeChargeId: charge.id,
      })
    }
    const transferId = transferIdOf(paymentIntent)
    if (transferId && order.stripeTransferId !== transferId) {
      expect('transfer id', order.stripeTransferId ?? 'none', transferId, !order.stripeTransferId, {
        stripeTransferId: transferId,
      })
    }

    const fixable = found.filter((drift) => drift.fix)
    if (this.trx && fixable.length > 0) {
      order.useTransaction(this.trx)
      order.merge(set)
      await order.save()
      await recordPaymentEvent(this.trx, {
        orderId: order.id,
        actor: this.options.actor,
        type: 'order.reconciled',
        amount: order.amountCaptured,
        currency: order.currency,
        stripeId: paymentIntent.id,
        message: `Took Stripe's ${fixable.map((drift) => drift.problem).join(', ')}`,
      })
      for (const drift of fixable) {
        drift.fixed = true
      }
    }
  }

  /** Refund rows against Stripe's refunds, then the order's refunded total */
  private async refunds(charge: Stripe.Charge) {
    const order = this.order
    const onStripe = await allRefundsOf(order.stripePaymentIntentId!)
    const rows = await Refund.query(this.reading).where('orderId', order.id).orderBy('id')
    this.refundsChecked += rows.length
    const known = new Set<string>()

    for (const row of rows) {
      const subject = `refund #${row.id} (order #${order.id})`
      const match = await findRefundOnStripe(order, row, onStripe)
      if (match) {
        known.add(match.id)
      }
      if (row.status === 'pending') {
        if (match) {
          const drift = this.add({
            subject,
            problem: 'outcome not recorded',
            local: `pending ${formatAmount(row.amount, row.currency)}`,
            stripe: `${match.id} ${match.status}`,
            fix: "record Stripe's outcome",
          })
          await this.applying(drift, (trx) =>
            applyStripeRefund(trx, order, row, match, this.options.actor)
          )
        } else if (!row.stripeRefundId && !pastGrace(row)) {
          this.notes.push(youngNote(subject, row))
        } else if (!row.stripeRefundId) {
          const drift = this.add({
            subject,
            problem: 'never reached Stripe',
            local: `pending ${formatAmount(row.amount, row.currency)}`,
            stripe: 'no refund',
            fix: 'mark it failed (nothing was refunded)',
          })
          await this.applying(drift, (trx) =>
            failRefund(
              trx,
              row,
              'Never reached Stripe: nothing was refunded (found by reconciliation).',
              this.options.actor
            )
          )
        }
        continue
      }
      if (row.status === 'failed' || row.status === 'canceled') {
        const landed = match && localStatus(match) !== 'failed' && localStatus(match) !== 'canceled'
        if (landed) {
          const drift = this.add({
            subject,
            problem: `${row.status} locally, exists on Stripe`,
            local: `${row.status} ${formatAmount(row.amount, row.currency)}`,
            stripe: `${match.id} ${match.status}`,
            fix: "record Stripe's outcome",
          })
          await this.applying(drift, (trx) =>
            applyStripeRefund(trx, order, row, match, this.options.actor)
          )
        }
        continue
      }
      if (row.status !== 'succeeded') {
        continue
      }
      if (!match) {
        this.add({
          subject,
          problem: 'succeeded locally, missing on Stripe',
          local: `${row.stripeRefundId ?? 'no id'} ${formatAmount(row.amount, row.currency)}`,
          stripe: 'no refund',
          fix: null,
        })
        continue
      }
      if (match.amount !== row.amount) {
        this.add({
          subject,
          problem: 'amount',
          local: formatAmount(row.amount, row.currency),
          stripe: formatAmount(match.amount, row.currency),
          fix: null,
        })
      }
      const missingDebit =
        row.contractorOwes !== null &&
        !(await ContractorDebit.query(this.reading).where('refundId', row.id).first())
      if (localStatus(match) !== 'succeeded' || missingDebit) {
        const drift = this.add({
          subject,
          problem: missingDebit ? 'owed debit not recorded' : 'status',
          local: row.status,
          stripe: `${match.id} ${match.status}`,
          fix: missingDebit ? 'record the debit the contractor owes' : "take Stripe's status",
        })
        await this.applying(drift, (trx) =>
          applyStripeRefund(trx, order, row, match, this.options.actor)
        )
      }
    }

    for (const refund of onStripe) {
      if (known.has(refund.id)) {
        continue
      }
      const drift = this.add({
        subject: `refund ${refund.id} (order #${order.id})`,
        problem: 'made on Stripe, no local record',
        local: 'none',
        stripe: `${formatAmount(refund.amount, refund.currency)} ${refund.status}`,
        fix: 'record it',
      })
      await this.applying(drift, (trx) => this.recordForeignRefund(trx, refund))
    }

    const refunded = capturedAmountRefunded(charge)
    if (refunded !== order.amountRefunded) {
      const drift = this.add({
        problem: 'refunded amount',
        local: formatAmount(order.amountRefunded, order.currency),
        stripe: formatAmount(refunded, order.currency),
        fix:
          refunded > order.amountRefunded ? 'take Stripe’s total (as charge.refunded does)' : null,
      })
      await this.applying(drift, (trx) =>
        syncRefundTotals(trx, order, refunded, this.options.actor, charge.id)
      )
    }
  }

  /** A refund made outside the app (Stripe's Dashboard): recorded as Stripe shows it */
  private async recordForeignRefund(trx: TransactionClientContract, refund: Stripe.Refund) {
    const row = await Refund.create(
      {
        orderId: this.order.id,
        amount: refund.amount,
        currency: refund.currency,
        reason: refund.reason ?? null,
        reverseTransfer: Boolean(refund.transfer_reversal),
        refundApplicationFee: false,
        status: localStatus(refund),
        stripeRefundId: refund.id,
        initiatedBy: 'stripe',
        contractorOwes: null,
      },
      { client: trx }
    )
    await recordPaymentEvent(trx, {
      orderId: this.order.id,
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
}

/** One order against Stripe: read only for the report, under its row lock to fix */
async function checkOrder(orderId: number, options: ReconcileOptions) {
  const check = async (order: Order, trx: TransactionClientContract | null) => {
    const found = new OrderCheck(trx, order, options)
    await found.run()
    return { drifts: found.drifts, notes: found.notes, refunds: found.refundsChecked }
  }
  try {
    if (!options.fix) {
      return await check(await Order.findOrFail(orderId), null)
    }
    return await withLockedOrder(orderId, (order, trx) => check(order, trx))
  } catch (error) {
    return {
      drifts: [
        {
          subject: `order #${orderId}`,
          problem: 'could not be checked',
          local: '',
          stripe: problemText(error),
          fix: null,
          fixed: false,
        },
      ],
      notes: [],
      refunds: 0,
    }
  }
}

interface DebitCheck {
  drifts: Drift[]
  notes: string[]
}

/** Drifts of one debit row against Stripe; `trx` (holding the contractor's lock) to fix */
async function debitDrifts(
  trx: TransactionClientContract | null,
  row: ContractorDebit,
  options: ReconcileOptions
): Promise<DebitCheck> {
  const subject = `debit #${row.id}`
  const amount = formatAmount(row.amount, row.currency)
  const onStripe = await findDebitOnStripe(row)
  const result: DebitCheck = { drifts: [], notes: [] }
  const add = async (
    drift: Omit<Drift, 'subject' | 'fixed'>,
    work?: (fixing: TransactionClientContract) => Promise<unknown>
  ) => {
    const entry: Drift = { subject, ...drift, fixed: false }
    result.drifts.push(entry)
    if (trx && entry.fix && work) {
      await work(trx)
      entry.fixed = true
    }
  }
  const owedNote = async () => {
    const contractor = await User.find(row.contractorId)
    const who = contractor?.email ?? String(row.contractorId)
    result.notes.push(
      `Debit #${row.id}: ${amount} owed by ${contractor?.email ?? `user ${row.contractorId}`} ` +
        `(collect with node ace contractors:debit ${who} --collect=${row.id})`
    )
  }

  if (row.status === 'owed' || row.status === 'failed') {
    // Closed here; a request that landed on Stripe late says otherwise
    if (onStripe && onStripe.status !== 'failed') {
      await add(
        {
          problem: `${row.status} locally, exists on Stripe`,
          local: `${row.status} ${amount}`,
          stripe: `${onStripe.id} ${onStripe.status}`,
          fix: "record Stripe's outcome",
        },
        (fixing) => applyStripeDebit(fixing, row, onStripe, options.actor)
      )
    } else if (row.status === 'owed') {
      await owedNote()
    }
    return result
  }

  if (row.status === 'pending') {
    if (onStripe) {
      await add(
        {
          problem: 'outcome not recorded',
          local: `pending ${amount}`,
          stripe: `${onStripe.id} ${onStripe.status}`,
          fix: "record Stripe's outcome",
        },
        (fixing) => applyStripeDebit(fixing, row, onStripe, options.actor)
      )
    } else if (!pastGrace(row)) {
      result.notes.push(youngNote(subject, row))
    } else {
      await add(
        {
          problem: 'never reached Stripe',
          local: `pending ${amount}`,
          stripe: 'no debit',
          fix: row.refundId ? 'put it back to owed' : 'mark it failed (nothing was charged)',
        },
        (fixing) =>
          failDebit(
            fixing,
            row,
            'Never reached Stripe: nothing was charged (found by reconciliation).',
            options.actor
          )
      )
    }
    return result
  }

  // succeeded
  if (!onStripe) {
    await add({
      problem: 'succeeded locally, missing on Stripe',
      local: `${row.stripeId ?? 'no id'} ${amount}`,
      stripe: 'no debit',
      fix: null,
    })
    return result
  }
  if (onStripe.amount !== row.amount) {
    await add({
      problem: 'amount',
      local: amount,
      stripe: formatAmount(onStripe.amount, onStripe.currency),
      fix: null,
    })
  }
  if (onStripe.amount_refunded > 0) {
    await add({
      problem: 'reversed on Stripe',
      local: 'succeeded',
      stripe: `${formatAmount(onStripe.amount_refunded, onStripe.currency)} given back`,
      fix: null,
    })
  }
  if (onStripe.status !== 'succeeded') {
    await add(
      {
        problem: 'status',
        local: row.status,
        stripe: `${onStripe.id} ${onStripe.status}`,
        fix: "take Stripe's status",
      },
      (fixing) => applyStripeDebit(fixing, row, onStripe, options.actor)
    )
  }
  return result
}

/** One debit against Stripe: as read for the report, under the contractor's lock to fix */
async function checkDebit(debit: ContractorDebit, options: ReconcileOptions): Promise<DebitCheck> {
  try {
    if (!options.fix) {
      return await debitDrifts(null, debit, options)
    }
    return await withLockedContractor(debit.contractorId, async (_profile, trx) => {
      const row = await ContractorDebit.query({ client: trx })
        .where('id', debit.id)
        .forUpdate()
        .firstOrFail()
      return debitDrifts(trx, row, options)
    })
  } catch (error) {
    return {
      drifts: [
        {
          subject: `debit #${debit.id}`,
          problem: 'could not be checked',
          local: debit.status,
          stripe: problemText(error),
          fix: null,
          fixed: false,
        },
      ],
      notes: [],
    }
  }
}

/** Compares (and with `fix` aligns) local money records with Stripe. See the top of the file. */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const since = options.since?.toJSDate()
  const report: ReconcileReport = {
    drifts: [],
    checked: { orders: 0, refunds: 0, debits: 0, events: 0 },
    notes: [],
  }

  // 1. Webhook events stored but never applied: applying them first may
  //    settle what the order checks would otherwise report
  const events = await StripeEvent.query()
    .whereNull('processedAt')
    .if(since, (query) => query.where('receivedAt', '>=', since!))
    .orderBy('id')
  report.checked.events = events.length
  for (const event of events) {
    const drift: Drift = {
      subject: `event ${event.stripeEventId}`,
      problem: `${event.type} stored, not applied`,
      local: event.processingError ? `failed: ${event.processingError}` : 'not processed',
      stripe: event.account ? `on ${event.account}` : 'platform',
      fix: 'apply it',
      fixed: false,
    }
    report.drifts.push(drift)
    if (options.fix) {
      await processStoredEvent(event)
      drift.fixed = event.processedAt !== null
      if (!drift.fixed) {
        drift.local = `failed again: ${event.processingError}`
      }
    }
  }

  // 2. Orders, with their refunds
  const orders = await Order.query()
    .if(since, (query) => query.where('createdAt', '>=', since!))
    .orderBy('id')
    .select('id')
  report.checked.orders = orders.length
  for (const { id } of orders) {
    const checked = await checkOrder(id, options)
    report.drifts.push(...checked.drifts)
    report.notes.push(...checked.notes)
    report.checked.refunds += checked.refunds
  }

  // 3. Contractor debits (owed ones are listed as notes)
  const debits = await ContractorDebit.query()
    .if(since, (query) => query.where('createdAt', '>=', since!))
    .orderBy('id')
  report.checked.debits = debits.length
  for (const debit of debits) {
    const checked = await checkDebit(debit, options)
    report.drifts.push(...checked.drifts)
    report.notes.push(...checked.notes)
  }

  return report
}
