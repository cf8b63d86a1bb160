import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import ContractorDebit from '#models/contractor_debit'
import User from '#models/user'
import { formatAmount } from '#money/amounts'
import {
  applyStripeDebit,
  failDebit,
  findDebitOnStripe,
  lockContractor,
} from '#actions/contractors/debit_records'
import {
  DriftList,
  pastGrace,
  problemText,
  youngNote,
  type ReconcileOptions,
} from '#actions/reconcile/drifts'

/** Drifts of one debit row against Stripe; `trx` (holding the contractor's lock) to fix */
async function debitDrifts(
  trx: TransactionClientContract | null,
  row: ContractorDebit,
  onStripe: Awaited<ReturnType<typeof findDebitOnStripe>>,
  options: ReconcileOptions
) {
  const subject = `debit #${row.id}`
  const list = new DriftList(subject, trx)
  const amount = formatAmount(row.amount, row.currency)
  const owedNote = async () => {
    const contractor = await User.find(row.contractorId)
    const who = contractor?.email ?? String(row.contractorId)
    list.note(
      `Debit #${row.id}: ${amount} owed by ${contractor?.email ?? `user ${row.contractorId}`} ` +
        `(collect with node ace contractors:debit ${who} --collect=${row.id})`
    )
  }

  if (row.status === 'owed' || row.status === 'failed' || row.status === 'canceled') {
    // Closed here; a request that landed on Stripe late says otherwise
    if (onStripe && onStripe.status !== 'failed') {
      await list.add(
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
    return list
  }

  if (row.status === 'pending') {
    if (onStripe) {
      await list.add(
        {
          problem: 'outcome not recorded',
          local: `pending ${amount}`,
          stripe: `${onStripe.id} ${onStripe.status}`,
          fix: "record Stripe's outcome",
        },
        (fixing) => applyStripeDebit(fixing, row, onStripe, options.actor)
      )
    } else if (!pastGrace(row)) {
      list.note(youngNote(subject, row))
    } else {
      await list.add(
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
            options.actor,
            'system'
          )
      )
    }
    return list
  }

  // succeeded
  if (!onStripe) {
    await list.add({
      problem: 'succeeded locally, missing on Stripe',
      local: `${row.stripeId ?? 'no id'} ${amount}`,
      stripe: 'no debit',
      fix: null,
    })
    return list
  }
  if (onStripe.amount !== row.amount) {
    await list.add({
      problem: 'amount',
      local: amount,
      stripe: formatAmount(onStripe.amount, onStripe.currency),
      fix: null,
    })
  }
  if (onStripe.amount_refunded > 0) {
    await list.add({
      problem: 'reversed on Stripe',
      local: 'succeeded',
      stripe: `${formatAmount(onStripe.amount_refunded, onStripe.currency)} given back`,
      fix: null,
    })
  }
  if (onStripe.status !== 'succeeded') {
    await list.add(
      {
        problem: 'status',
        local: row.status,
        stripe: `${onStripe.id} ${onStripe.status}`,
        fix: "take Stripe's status",
      },
      (fixing) => applyStripeDebit(fixing, row, onStripe, options.actor)
    )
  }
  return list
}

/**
 * One debit against Stripe: Stripe's side read first, without any lock; the
 * fix then made under the contractor's lock with that answer
 */
export async function checkDebit(debit: ContractorDebit, options: ReconcileOptions) {
  try {
    const onStripe = await findDebitOnStripe(debit)
    if (!options.fix) {
      return await debitDrifts(null, debit, onStripe, options)
    }
    return await db.transaction(async (trx) => {
      await lockContractor(trx, debit.contractorId)
      const row = await ContractorDebit.query({ client: trx })
        .where('id', debit.id)
        .forUpdate()
        .firstOrFail()
      return debitDrifts(trx, row, onStripe, options)
    })
  } catch (error) {
    const list = new DriftList(`debit #${debit.id}`, null)
    await list.add({
      problem: 'could not be checked',
      local: debit.status,
      stripe: problemText(error),
      fix: null,
    })
    return list
  }
}
