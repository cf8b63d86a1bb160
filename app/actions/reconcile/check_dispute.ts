import type Stripe from 'stripe'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Dispute, { DISPUTE_STATES, disputeVerbTo } from '#models/dispute'
import DisputeAction from '#models/dispute_action'
import Payment from '#models/payment'
import Transfer, { TRANSFER_STATES } from '#models/transfer'
import TransferReversal from '#models/transfer_reversal'
import { actors } from '#domain/actor'
import { formatAmount } from '#money/amounts'
import { stripe } from '#stripe/client'
import { sendToStripe } from '#stripe/write'
import { lockForPayer } from '#actions/orders/order_lock'
import { sendTransferReversal } from '#actions/transfers/reverse_transfer'
import {
  disputeMoney,
  followDispute,
  paymentOfDispute,
  recordDispute,
} from '#actions/disputes/record_dispute'
import { driveDispute, planDispute, type DrivenDisputeWrite } from '#actions/disputes/drive_dispute'
import { sendDisputeAction } from '#actions/disputes/dispute_requests'
import { sendShareReturn } from '#actions/disputes/share_return'
import {
  DriftList,
  pastGrace,
  problemText,
  youngNote,
  type Drift,
  type ReconcileOptions,
} from '#actions/reconcile/drifts'
import { ChangedMeanwhile, StripeReads } from '#actions/reconcile/check_payment'

/*
| Disputes against Stripe: each dispute's status, amount, money withdrawn
| and reinstated, and evidence submitted against Stripe's dispute; its
| requests, reversals and returns against Stripe's objects; what its
| contractors' shares still need (taken back, given back). Stripe's disputes
| on our payments that we never recorded (a webhook lost) are drifts too.
| --fix records forward, under the order's lock, through the same recorder
| as the webhooks (`recordDispute`); Stripe writes (a request, a reversal, a
| return never sent; a share never taken or given back) are sent after the
| lock is released, each with its own key.
*/

function subjectOf(dispute: Dispute) {
  return dispute.orderId
    ? `dispute #${dispute.id} (order #${dispute.orderId})`
    : dispute.paymentRequestId
      ? `dispute #${dispute.id} (payment request #${dispute.paymentRequestId})`
      : `dispute #${dispute.id}`
}

async function disputeDrifts(
  trx: TransactionClientContract,
  fixing: boolean,
  dispute: Dispute,
  onStripe: Stripe.Dispute,
  options: ReconcileOptions,
  reads: StripeReads
) {
  const subject = subjectOf(dispute)
  const list = new DriftList(subject, fixing ? trx : null)
  const money = (value: number, currency = dispute.currency) => formatAmount(value, currency)
  const actor = actors.stripe(options.actor)
  const record = async (client: TransactionClientContract) => {
    await lockForPayer(client, dispute)
    const payment = await Payment.query({ client })
      .where('id', dispute.paymentId)
      .forUpdate()
      .firstOrFail()
    await recordDispute(client, payment, onStripe, actor)
    await dispute.refresh()
  }

  if (onStripe.status !== dispute.status) {
    const verb = disputeVerbTo(onStripe.status)
    const forward = verb !== null && DISPUTE_STATES.can(dispute.status, verb, 'stripe')
    await list.add(
      {
        problem: 'status',
        local: dispute.status,
        stripe: `${onStripe.id} ${onStripe.status}`,
        fix: forward ? 'move the dispute forward to match Stripe' : null,
      },
      record
    )
  }
  if (onStripe.amount !== dispute.amount) {
    await list.add({
      problem: 'amount',
      local: money(dispute.amount),
      stripe: money(onStripe.amount, onStripe.currency),
      fix: null,
    })
  }
  const { withdrawal, reinstatement } = disputeMoney(onStripe)
  for (const [what, transaction, recordedAt, amount] of [
    ['withdrawal', withdrawal, dispute.withdrawnAt, dispute.withdrawnAmount],
    ['reinstatement', reinstatement, dispute.reinstatedAt, dispute.reinstatedAmount],
  ] as const) {
    if (transaction && !recordedAt) {
      await list.add(
        {
          problem: `${what} not recorded`,
          local: 'none',
          stripe: `${transaction.id} ${money(Math.abs(transaction.amount), transaction.currency)}`,
          fix: `record the ${what}`,
        },
        record
      )
    } else if (transaction && Math.abs(transaction.amount) !== amount) {
      await list.add({
        problem: `${what} amount`,
        local: money(amount, dispute.balanceCurrency ?? dispute.currency),
        stripe: money(Math.abs(transaction.amount), transaction.currency),
        fix: null,
      })
    }
  }
  const submissions = onStripe.evidence_details?.submission_count ?? 0
  if (submissions > dispute.evidenceSubmissionCount) {
    await list.add(
      {
        problem: 'evidence submitted, not recorded',
        local: `${dispute.evidenceSubmissionCount} submission(s)`,
        stripe: `${submissions} submission(s)`,
        fix: 'record the submission',
      },
      record
    )
  }

  await requests(list, trx, dispute, reads)
  await reversals(list, trx, dispute, reads)
  await returns(list, trx, dispute, reads)

  // What the contractors' shares still need, as the dispute now stands
  const plan = await planDispute(trx, dispute, { write: false, actor })
  let driven: Promise<DrivenDisputeWrite[]> | null = null
  for (const step of plan.steps) {
    list.addLater(
      {
        problem: 'contractor shares not settled',
        local: 'not done',
        stripe: `${onStripe.status}`,
        fix: step.description,
      },
      async () => {
        // One drive does every step; fixed when Stripe took every write
        driven ??= driveDispute(dispute.id, { actor })
        const writes = await driven
        return writes.every((write) => write.outcome.kind === 'recorded')
      }
    )
  }
  return list
}

/** Requests to Stripe left pending: Stripe's dispute says whether they went through */
async function requests(
  list: DriftList,
  trx: TransactionClientContract,
  dispute: Dispute,
  reads: StripeReads
) {
  const rows = await DisputeAction.query({ client: trx })
    .where('disputeId', dispute.id)
    .where('status', 'pending')
  for (const row of rows) {
    const subject = `dispute request #${row.id} (dispute #${dispute.id})`
    const found = await reads.read(`dispute-action:${row.id}`, () => sendDisputeAction.find!(row))
    if (found) {
      await list.add(
        {
          subject,
          problem: 'outcome not recorded',
          local: `pending ${row.kind}`,
          stripe: `${found.id} ${found.status}`,
          fix: "record Stripe's answer",
        },
        (client) => sendDisputeAction.record(client, row, found)
      )
    } else if (!pastGrace(row)) {
      list.note(youngNote(subject, row))
    } else {
      list.addLater(
        {
          subject,
          problem: 'not sent to Stripe yet',
          local: `pending ${row.kind}`,
          stripe: 'not answered',
          fix: 'send it (its own key)',
        },
        async () => {
          const outcome = await sendToStripe(sendDisputeAction, row, { writtenAt: row.createdAt })
          return outcome.kind !== 'unknown'
        }
      )
    }
  }
}

/** The reversals that took contractors' shares, against Stripe's */
async function reversals(
  list: DriftList,
  trx: TransactionClientContract,
  dispute: Dispute,
  reads: StripeReads
) {
  const rows = await TransferReversal.query({ client: trx })
    .where('disputeId', dispute.id)
    .whereNot('status', 'failed')
  for (const row of rows) {
    const subject = `reversal #${row.id} (dispute #${dispute.id})`
    const amount = formatAmount(row.amount, row.currency)
    const found = await reads.read(`trr-of:${row.id}`, () => sendTransferReversal.find!(row))
    if (row.status === 'succeeded') {
      if (!found || found.amount !== row.amount) {
        await list.add({
          subject,
          problem: found ? 'amount' : 'succeeded locally, missing on Stripe',
          local: `${row.stripeReversalId ?? 'no id'} ${amount}`,
          stripe: found ? formatAmount(found.amount, found.currency) : 'no reversal',
          fix: null,
        })
      }
      continue
    }
    if (found) {
      await list.add(
        {
          subject,
          problem: 'outcome not recorded',
          local: `pending ${amount}`,
          stripe: found.id,
          fix: "record Stripe's reversal",
        },
        (client) => sendTransferReversal.record(client, row, found)
      )
    } else if (!pastGrace(row)) {
      list.note(youngNote(subject, row))
    } else {
      list.addLater(
        {
          subject,
          problem: 'not sent to Stripe yet',
          local: `pending ${amount}`,
          stripe: 'no reversal',
          fix: 'send it (its own key)',
        },
        async () => {
          const outcome = await sendToStripe(sendTransferReversal, row, {
            writtenAt: row.createdAt,
          })
          return outcome.kind !== 'unknown'
        }
      )
    }
  }
}

/** What won disputes gave back, against Stripe's transfers */
async function returns(
  list: DriftList,
  trx: TransactionClientContract,
  dispute: Dispute,
  reads: StripeReads
) {
  const rows = await Transfer.query({ client: trx }).where('disputeId', dispute.id)
  for (const row of rows) {
    const subject = `transfer #${row.id} (dispute #${dispute.id})`
    const amount = formatAmount(row.amount, row.currency)
    const found = await reads.read(`return-of:${row.id}`, () => sendShareReturn.find!(row))
    if (row.status === 'paid') {
      if (!found || found.amount !== row.amount) {
        await list.add({
          subject,
          problem: found ? 'amount' : 'paid locally, missing on Stripe',
          local: `${row.stripeTransferId ?? 'no id'} ${amount}`,
          stripe: found ? formatAmount(found.amount, found.currency) : 'no transfer',
          fix: null,
        })
      }
      continue
    }
    if (found) {
      await list.add(
        {
          subject,
          problem:
            row.status === 'pending' ? 'outcome not recorded' : 'failed locally, exists on Stripe',
          local: `${row.status} ${amount}`,
          stripe: `${found.id} ${formatAmount(found.amount, found.currency)}`,
          fix: "record Stripe's transfer",
        },
        async (client) => {
          row.useTransaction(client)
          row.merge({ status: TRANSFER_STATES.reach(row.status, 'pending', 'stripe') })
          await sendShareReturn.record(client, row, found)
        }
      )
    } else if (row.status === 'failed') {
      list.note(
        `${subject}: ${amount} refused by Stripe (${row.failureMessage ?? 'no reason given'}); ` +
          'the send_pending_writes job tries again.'
      )
    } else if (!pastGrace(row)) {
      list.note(youngNote(subject, row))
    } else {
      list.addLater(
        {
          subject,
          problem: 'not sent to Stripe yet',
          local: `pending ${amount}`,
          stripe: 'no transfer',
          fix: 'send it (its own key)',
        },
        async () => {
          const outcome = await sendToStripe(sendShareReturn, row, { writtenAt: row.updatedAt })
          return outcome.kind !== 'unknown'
        }
      )
    }
  }
}

/**
 * One dispute against Stripe: read (Stripe included) without any lock for the
 * report; to fix, checked again under its payer's lock with those answers (no
 * Stripe call while the lock is held), as `checkPayment` does.
 */
export async function checkDispute(disputeId: number, options: ReconcileOptions) {
  const found = await Dispute.findOrFail(disputeId)
  try {
    const onStripe = await stripe().disputes.retrieve(found.stripeDisputeId)
    const reads = new StripeReads()
    // Read in a transaction either way (the plan reads through it)
    const pass = (fixing: boolean) =>
      db.transaction(async (trx) => {
        if (fixing) {
          await lockForPayer(trx, found)
        }
        const dispute = await Dispute.query({ client: trx })
          .where('id', disputeId)
          .if(fixing, (query) => query.forUpdate())
          .firstOrFail()
        return disputeDrifts(trx, fixing, dispute, onStripe, options, reads)
      })
    let list = await pass(false)
    if (options.fix) {
      reads.freeze()
      try {
        list = await pass(true)
      } catch (error) {
        if (!(error instanceof ChangedMeanwhile)) {
          throw error
        }
        list.note(`${subjectOf(found)}: changed while it was being checked; left for the next run.`)
        return list
      }
    }
    for (const work of list.later) {
      await work()
    }
    if (list.later.length) {
      // What was sent may settle the dispute, or lead to more (a refused reversal owed)
      await driveDispute(disputeId, { actor: actors.stripe(options.actor) })
    }
    return list
  } catch (error) {
    const list = new DriftList(subjectOf(found), null)
    await list.add({
      problem: 'could not be checked',
      local: found.status,
      stripe: problemText(error),
      fix: null,
    })
    return list
  }
}

/** Stripe's disputes on our payments that we have no record of (a webhook lost) */
export async function missingDisputes(options: ReconcileOptions): Promise<Drift[]> {
  const drifts: Drift[] = []
  const recorded = await Dispute.query().select('stripeDisputeId')
  const known = new Set(recorded.map((row) => row.stripeDisputeId))
  const since = options.since ? Math.floor(options.since.toSeconds()) : undefined
  try {
    for await (const onStripe of stripe().disputes.list({
      limit: 100,
      ...(since ? { created: { gte: since } } : {}),
    })) {
      if (known.has(onStripe.id) || !(await paymentOfDispute(onStripe))) {
        continue
      }
      const drift: Drift = {
        subject: `dispute ${onStripe.id}`,
        problem: 'not recorded',
        local: 'none',
        stripe: `${formatAmount(onStripe.amount, onStripe.currency)} ${onStripe.status} on ${
          typeof onStripe.charge === 'string' ? onStripe.charge : onStripe.charge.id
        }`,
        fix: 'record it',
        fixed: false,
      }
      drifts.push(drift)
      if (options.fix) {
        drift.fixed = (await followDispute(onStripe.id, actors.stripe(options.actor))) !== null
      }
    }
  } catch (error) {
    drifts.push({
      subject: 'disputes',
      problem: 'could not be listed',
      local: '',
      stripe: problemText(error),
      fix: null,
      fixed: false,
    })
  }
  return drifts
}
