import type Stripe from 'stripe'
import Payment from '#models/payment'
import ContractorDebit from '#models/contractor_debit'
import StripeEvent from '#models/stripe_event'
import { formatAmount } from '#money/amounts'
import { stripe } from '#stripe/client'
import UserProfile from '#models/user_profile'
import { malformedEvent, processStoredEvent } from '#actions/stripe_events/receive_event'
import { checkPayment } from '#actions/reconcile/check_payment'
import { checkDebit } from '#actions/reconcile/check_debit'
import { checkDispute, missingDisputes } from '#actions/reconcile/check_dispute'
import Dispute from '#models/dispute'
import {
  type DriftList,
  problemText,
  type Drift,
  type ReconcileOptions,
} from '#actions/reconcile/drifts'

export type { Drift, ReconcileOptions } from '#actions/reconcile/drifts'
export { PENDING_GRACE_MINUTES } from '#actions/reconcile/drifts'

/*
|--------------------------------------------------------------------------
| Reconciliation: local payments, refunds, transfers and debits against Stripe
|--------------------------------------------------------------------------
|
| Stripe is the source of truth for money. Every difference is a drift; with
| `fix` the ones that follow a transition the app knows are applied, each
| under the lock of its order (or contractor), through the same code as
| webhooks and commands. Nothing moves backwards (a payment Stripe shows as
| held is never "uncaptured"): those drifts are reported for a person.
|
| 1. Stored webhook events never applied are applied first.
| 2. Every payment (`check_payment.ts`): its status, amounts and charge
|    against its PaymentIntent; its lines against its status; its refunds
|    against Stripe's; its transfers (amount, reversals, destination).
|    Writes the app decided but never got an answer for (a capture, a
|    release, a transfer, a canceled line's refund) are sent again with their
|    own keys. Admin refunds and debits Stripe never saw, older than
|    PENDING_GRACE_MINUTES, are closed (the admin re-runs the command).
| 3. Contractor debits (`check_debit.ts`).
| 3b. Disputes (`check_dispute.ts`): status, amounts, evidence, reversals
|    and returns against Stripe's, the contractors' shares still to take
|    back or give back; Stripe's disputes on our payments never recorded.
| 4. Our employers' PaymentIntents on Stripe that no payment of ours owns
|    (a hold made for a row that is gone, a second hold for one payment): a
|    live hold is canceled with --fix, a collected payment needs a person.
|    A pending payment's own PaymentIntent is step 2's to settle.
|
*/

export interface ReconcileReport {
  drifts: Drift[]
  checked: {
    payments: number
    refunds: number
    transfers: number
    debits: number
    events: number
    payment_intents: number
    disputes: number
  }
  /** Things worth knowing that are not drifts (debits contractors owe, young pending rows) */
  notes: string[]
}

/** Compares (and with `fix` aligns) local money records with Stripe. See the top of the file. */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const since = options.since?.toJSDate()
  const report: ReconcileReport = {
    drifts: [],
    checked: {
      payments: 0,
      refunds: 0,
      transfers: 0,
      debits: 0,
      events: 0,
      payment_intents: 0,
      disputes: 0,
    },
    notes: [],
  }
  const take = (list: DriftList) => {
    report.drifts.push(...list.drifts)
    report.notes.push(...list.notes)
  }

  // 1. Webhook events stored but never applied
  const events = await StripeEvent.query()
    .whereNull('processedAt')
    .if(since, (query) => query.where('receivedAt', '>=', since!))
    .orderBy('id')
  report.checked.events = events.length
  for (const event of events) {
    const malformed = malformedEvent(event.payload)
    const drift: Drift = {
      subject: `event ${event.stripeEventId}`,
      problem: `${event.type} stored, not applied`,
      local: event.processingError ? `failed: ${event.processingError}` : 'not processed',
      stripe: event.account ? `on ${event.account}` : 'platform',
      // One that can never apply is set aside, not reported on every run
      fix: malformed ? `set it aside (malformed: ${malformed})` : 'apply it',
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

  // 2. Payments, with their refunds and transfers
  const payments = await Payment.query()
    .if(since, (query) => query.where('createdAt', '>=', since!))
    .orderBy('id')
    .select('id', 'orderId')
  report.checked.payments = payments.length
  for (const { id, orderId } of payments) {
    try {
      const checked = await checkPayment(id, options)
      take(checked.list)
      report.checked.refunds += checked.refundsChecked
      report.checked.transfers += checked.transfersChecked
    } catch (error) {
      report.drifts.push({
        subject: orderId ? `payment #${id} (order #${orderId})` : `payment #${id}`,
        problem: 'could not be checked',
        local: '',
        stripe: problemText(error),
        fix: null,
        fixed: false,
      })
    }
  }

  // 3. Contractor debits (owed ones are listed as notes)
  const debits = await ContractorDebit.query()
    .if(since, (query) => query.where('createdAt', '>=', since!))
    .orderBy('id')
  report.checked.debits = debits.length
  for (const debit of debits) {
    take(await checkDebit(debit, options))
  }

  // 3b. Disputes, and Stripe's disputes on our payments we never recorded
  const disputes = await Dispute.query()
    .if(since, (query) => query.where('createdAt', '>=', since!))
    .orderBy('id')
    .select('id')
  report.checked.disputes = disputes.length
  for (const { id } of disputes) {
    take(await checkDispute(id, options))
  }
  report.drifts.push(...(await missingDisputes(options)))

  // 4. PaymentIntents no payment of ours owns
  await orphanPaymentIntents(report, options)
  return report
}

/**
 * Live PaymentIntents of our employers that no payment owns: a hold placed
 * for a row that is gone, or a second one for the same payment. A pending
 * payment's own PaymentIntent (its metadata names it, its answer not
 * recorded yet) is the payment check's to settle, not an orphan: canceling
 * it could release a hold that is being placed right now.
 */
async function orphanPaymentIntents(report: ReconcileReport, options: ReconcileOptions) {
  const payments = await Payment.query().select('id', 'orderId', 'status', 'stripePaymentIntentId')
  const known = new Set(payments.map((payment) => payment.stripePaymentIntentId).filter(Boolean))
  // A payment closed without one (never reached Stripe) owns none: a request landing late is an orphan
  const awaited = payments.filter(
    (payment) => payment.status === 'pending' && !payment.stripePaymentIntentId
  )
  const awaitedIds = new Set(awaited.map((payment) => String(payment.id)))
  const awaitedOrders = new Set(awaited.map((payment) => String(payment.orderId)))
  const owned = (paymentIntent: Stripe.PaymentIntent) => {
    const metadata = paymentIntent.metadata ?? {}
    return (
      known.has(paymentIntent.id) ||
      (metadata.payment_id !== undefined && awaitedIds.has(metadata.payment_id)) ||
      // First-stage PaymentIntents carry only the order
      (metadata.payment_id === undefined &&
        metadata.order_id !== undefined &&
        awaitedOrders.has(metadata.order_id))
    )
  }
  // Only our employers' PaymentIntents: others on the account are not Crewpay's to judge
  const employers = await UserProfile.query().where('stripeId', 'like', 'cus_%').select('stripeId')
  const customers = new Set(employers.map((profile) => profile.stripeId))
  const since = options.since ? Math.floor(options.since.toSeconds()) : undefined
  try {
    for await (const paymentIntent of stripe().paymentIntents.list({
      limit: 100,
      ...(since ? { created: { gte: since } } : {}),
    })) {
      const customer =
        typeof paymentIntent.customer === 'string'
          ? paymentIntent.customer
          : (paymentIntent.customer?.id ?? null)
      if (!customer || !customers.has(customer)) {
        continue
      }
      report.checked.payment_intents += 1
      if (owned(paymentIntent) || !isLive(paymentIntent)) {
        continue
      }
      const held = paymentIntent.status === 'requires_capture'
      const drift: Drift = {
        subject: `PaymentIntent ${paymentIntent.id}`,
        problem: 'no record of ours owns it',
        local: 'none',
        stripe:
          `${formatAmount(paymentIntent.amount, paymentIntent.currency)} ${paymentIntent.status}` +
          (paymentIntent.metadata?.order_id ? ` (order #${paymentIntent.metadata.order_id})` : ''),
        fix: held ? 'cancel the orphan hold' : null,
        fixed: false,
      }
      report.drifts.push(drift)
      if (options.fix && held) {
        try {
          const canceled = await stripe().paymentIntents.cancel(
            paymentIntent.id,
            { cancellation_reason: 'abandoned' },
            { idempotencyKey: `orphan:${paymentIntent.id}:cancel` }
          )
          drift.fixed = canceled.status === 'canceled'
        } catch (error) {
          drift.stripe += ` (cancel failed: ${problemText(error)})`
        }
      }
    }
  } catch (error) {
    report.drifts.push({
      subject: 'PaymentIntents',
      problem: 'could not be listed',
      local: '',
      stripe: problemText(error),
      fix: null,
      fixed: false,
    })
  }
}

/** A PaymentIntent that holds or took money (or may yet) */
function isLive(paymentIntent: Stripe.PaymentIntent) {
  return ['requires_capture', 'succeeded', 'processing', 'requires_action'].includes(
    paymentIntent.status
  )
}
