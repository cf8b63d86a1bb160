import type Stripe from 'stripe'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import ContractorDebit, { DEBIT_STATES } from '#models/contractor_debit'
import type { ActorKind } from '#models/state_machine'
import UserProfile from '#models/user_profile'
import { recordPaymentEvent } from '#services/payment_events'
import { mailDebit } from '#actions/orders/order_mail'
import { formatAmount } from '#money/amounts'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import type { StripeWrite } from '#stripe/write'
import { FAILURE_MESSAGE_LENGTH } from '#actions/refunds/refund_records'

/*
| An account debit: a charge on the platform with `source=acct_…` (Stripe §7)
| that takes money from a contractor's Stripe balance. The debit row is
| written pending (under the contractor's profile lock) before it is sent
| with the key "contractor_debit:<id>:<uuid>:create[:attempt]".
*/

/** The Stripe transfer group that finds a debit's charge again on Stripe */
export function debitTransferGroup(debit: ContractorDebit) {
  return `crewpay_debit_${debit.reference}`
}

/** Locks a contractor's profile: their debits (console runs, re-runs, reconciliation) queue up on it */
export async function lockContractor(trx: TransactionClientContract, contractorId: number) {
  return UserProfile.query({ client: trx }).where('userId', contractorId).forUpdate().first()
}

/**
 * A connected account's Stripe balance in a currency (null when Stripe does
 * not say). Only a check before a write, or figures for a message: not
 * retried (when Stripe does not answer, the write itself gets Stripe's word)
 */
export async function connectedBalance(accountId: string, currency: string) {
  try {
    const balance = await stripe().balance.retrieve(
      {},
      { stripeAccount: accountId, maxNetworkRetries: 0 }
    )
    const inCurrency = (entries: { amount: number; currency: string }[]) =>
      entries
        .filter((entry) => entry.currency === currency)
        .reduce((total, entry) => total + entry.amount, 0)
    return { available: inCurrency(balance.available), pending: inCurrency(balance.pending) }
  } catch {
    return null
  }
}

/**
 * Our debit on Stripe: by its id, or by the transfer group every attempt of
 * it carries (an owed debit may have been tried more than once), one that
 * did not fail first
 */
export async function findDebitOnStripe(debit: ContractorDebit) {
  if (debit.stripeId) {
    const charge = await stripe().charges.retrieve(debit.stripeId)
    if (charge.status !== 'failed') {
      return charge
    }
  }
  const found = await stripe().charges.list({
    transfer_group: debitTransferGroup(debit),
    limit: 10,
  })
  return found.data.find((charge) => charge.status !== 'failed') ?? found.data[0] ?? null
}

/**
 * Closes a locked debit Stripe refused or never saw: failed, or back to owed
 * when a platform-covered refund or a dispute recorded it (it can be
 * collected again)
 */
export async function failDebit(
  trx: TransactionClientContract,
  debit: ContractorDebit,
  message: string,
  actor: string,
  who: ActorKind = 'stripe'
) {
  const from = debit.status
  const to = DEBIT_STATES.reach(from, debit.refundId || debit.disputeId ? 'owed' : 'failed', who)
  debit.useTransaction(trx)
  debit.merge({ status: to, failureMessage: message.slice(0, FAILURE_MESSAGE_LENGTH) })
  await debit.save()
  await recordPaymentEvent(trx, {
    orderId: debit.orderId,
    orderLineId: debit.orderLineId,
    contractorDebitId: debit.id,
    refundId: debit.refundId,
    disputeId: debit.disputeId,
    actor,
    type: 'contractor_debit.failed',
    fromStatus: from,
    toStatus: to,
    amount: debit.amount,
    currency: debit.currency,
    message,
  })
  return to
}

/** Records Stripe's answer on a locked debit row (the debit, its re-runs, reconciliation) */
export async function applyStripeDebit(
  trx: TransactionClientContract,
  debit: ContractorDebit,
  charge: Stripe.Charge,
  actor: string
) {
  const from = debit.status
  const status = DEBIT_STATES.reach(
    from,
    charge.status === 'succeeded' ? 'succeeded' : charge.status === 'failed' ? 'failed' : 'pending',
    'stripe'
  )
  debit.useTransaction(trx)
  debit.merge({
    stripeId: charge.id,
    status,
    failureMessage: status === 'failed' ? (charge.failure_message ?? 'Stripe: failed') : null,
  })
  await debit.save()
  if (from !== status) {
    await recordPaymentEvent(trx, {
      orderId: debit.orderId,
      orderLineId: debit.orderLineId,
      contractorDebitId: debit.id,
      refundId: debit.refundId,
      disputeId: debit.disputeId,
      actor,
      type: `contractor_debit.${status}`,
      fromStatus: from,
      toStatus: status,
      amount: debit.amount,
      currency: debit.currency,
      stripeId: charge.id,
      message: debit.reason,
    })
  }
  if (status === 'succeeded' && from !== 'succeeded') {
    await mailDebit(trx, debit)
  }
  return status
}

export const sendDebit: StripeWrite<ContractorDebit, Stripe.Charge> = {
  operation: 'account_debit',
  label: (debit) => `debit #${debit.id}`,
  key: (debit) =>
    debit.attempts > 1
      ? idempotencyKey('contractor_debit', debit, 'create', debit.attempts)
      : idempotencyKey('contractor_debit', debit, 'create'),
  async send(debit, key) {
    const profile = await UserProfile.findByOrFail('userId', debit.contractorId)
    return stripe().charges.create(
      {
        amount: debit.amount,
        currency: debit.currency,
        source: profile.stripeId!,
        description: `Crewpay debit #${debit.id}: ${debit.reason}`.slice(0, 350),
        transfer_group: debitTransferGroup(debit),
        metadata: {
          crewpay_debit: debit.reference,
          contractor_debit_id: String(debit.id),
          contractor_id: String(debit.contractorId),
          ...(debit.orderId ? { order_id: String(debit.orderId) } : {}),
        },
      },
      { idempotencyKey: key }
    )
  },
  async find(debit) {
    const charge = await findDebitOnStripe(debit)
    // An earlier collection Stripe refused is not this attempt's answer
    return charge && !(charge.status === 'failed' && (debit.refundId || debit.disputeId))
      ? charge
      : null
  },
  async lock(trx, debit) {
    await lockContractor(trx, debit.contractorId)
    const row = await ContractorDebit.query({ client: trx })
      .where('id', debit.id)
      .forUpdate()
      .first()
    return row?.status === 'pending' ? row : null
  },
  async record(trx, debit, charge) {
    await applyStripeDebit(trx, debit, charge, debit.initiatedBy)
  },
  async refuse(trx, debit, error) {
    const message =
      error.code === 'balance_insufficient'
        ? `The contractor's available Stripe balance cannot cover this ${formatAmount(debit.amount, debit.currency)} debit: nothing was charged.`
        : error.message
    await failDebit(trx, debit, message, debit.initiatedBy)
  },
}
