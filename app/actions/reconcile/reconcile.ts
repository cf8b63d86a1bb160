import type Stripe from 'stripe'
import Payment from '#models/payment'
import ContractorDebit from '#models/contractor_debit'
import StripeEvent from '#models/stripe_event'
import { formatAmount } from '#money/amounts'
import { stripe } from '#stripe/client'
import { processStoredEvent } from '#actions/stripe_events/receive_event'
import { checkPayment } from '#actions/reconcile/check_payment'
import { checkDebit } from '#actions/reconcile/check_debit'
import {
  DriftList,
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
| 4. PaymentIntents on Stripe that no payment of ours owns (a lost
|    answer's hold): a live hold is canceled with --fix, a collected payment
|    needs a person.
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
  }
  /** Things worth knowing that are not drifts (debits contractors owe, young pending rows) */
  notes: string[]
}

/** Compares (and with `fix` aligns) local money records with Stripe. See the top of the file. */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const since = options.since?.toJSDate()
  const report: ReconcileReport = {
    drifts: [],
    checked: { payments: 0, refunds: 0, transfers: 0, debits: 0, events: 0, payment_intents: 0 },
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

  // 4. PaymentIntents no payment of ours owns
  await orphanPaymentIntents(report, options)
  return report
}

async function orphanPaymentIntents(report: ReconcileReport, options: ReconcileOptions) {
  const known = new Set(
    (await Payment.query().whereNotNull('stripePaymentIntentId').select('stripePaymentIntentId')).map(
      (payment) => payment.stripePaymentIntentId
    )
  )
  const since = options.since ? Math.floor(options.since.toSeconds()) : undefined
  try {
    for await (const paymentIntent of stripe().paymentIntents.list({
      limit: 100,
      ...(since ? { created: { gte: since } } : {}),
    })) {
      report.checked.payment_intents += 1
      if (known.has(paymentIntent.id) || !isLive(paymentIntent)) {
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
        await stripe().paymentIntents.cancel(
          paymentIntent.id,
          { cancellation_reason: 'abandoned' },
          { idempotencyKey: `orphan:${paymentIntent.id}:cancel` }
        )
        drift.fixed = true
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

