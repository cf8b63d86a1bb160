import type Stripe from 'stripe'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import ContractorDebit from '#models/contractor_debit'
import Order from '#models/order'
import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { ActionError } from '#exceptions/action_error'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount } from '#money/amounts'
import { getCurrency, isSupportedCurrency } from '#money/currencies'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { describeStripeError, isStripeError, reportStripeError } from '#stripe/errors'

/*
|--------------------------------------------------------------------------
| Account debits: the platform takes money from a contractor's balance
|--------------------------------------------------------------------------
|
| A charge on the platform with `source=acct_…` (Stripe §7). Same steps as
| refunds: under a lock on the contractor's profile the debit row is written
| (pending) and committed before Stripe is called; then Stripe is called with
| the key "contractor_debit:<id>:<uuid>:create" and the answer recorded.
|
| Re-runs: a debit of the same contractor, amount, currency and order that is
| pending or succeeded is taken to be the same request run again (completed
| if pending, reported if succeeded); `repeat` makes another on purpose.
|
| Owed debits (recorded by a platform-covered refund) are collected with
| `collectOwedDebit`; a refusal leaves them owed.
|
*/

export interface DebitInput {
  actor: string
  contractor: User
  /** Minor units of `currency` */
  amount: number
  currency: string
  reason: string
  orderId?: number | null
  /** Make this debit even if an identical one was already made */
  repeat?: boolean
}

export interface DebitResult {
  /** made now, found done by an earlier run */
  outcome: 'succeeded' | 'already_done'
  /** A pending debit of an earlier run was completed (rather than a new one made) */
  resumed: boolean
  debit: ContractorDebit
}

/** Length of the failure_message column of refunds and contractor debits */
export const FAILURE_MESSAGE_LENGTH = 255

/** The Stripe transfer group that finds a debit's charge again on Stripe */
export function debitTransferGroup(debit: ContractorDebit) {
  return `crewpay_debit_${debit.reference}`
}

/**
 * Runs `work` with the contractor's profile row locked: debits of one
 * contractor (console runs, re-runs, reconciliation) queue up on it.
 */
export async function withLockedContractor<T>(
  contractorId: number,
  work: (profile: UserProfile, trx: TransactionClientContract) => Promise<T>
): Promise<T> {
  return db.transaction(async (trx) => {
    const profile = await UserProfile.query({ client: trx })
      .where('userId', contractorId)
      .forUpdate()
      .first()
    if (!profile?.stripeId?.startsWith('acct_')) {
      throw new ActionError(
        'This contractor has no Stripe account yet: there is nothing to debit.',
        409
      )
    }
    return work(profile, trx)
  })
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

/** A connected account's Stripe balance in a currency (null when Stripe does not say) */
export async function connectedBalance(accountId: string, currency: string) {
  try {
    const balance = await stripe().balance.retrieve({}, { stripeAccount: accountId })
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
 * Closes a locked debit Stripe refused or never saw: failed, or back to owed
 * when a platform-covered refund recorded it (it can be collected again)
 */
export async function failDebit(
  trx: TransactionClientContract,
  debit: ContractorDebit,
  message: string,
  actor: string
) {
  const from = debit.status
  const to = debit.refundId ? 'owed' : 'failed'
  debit.useTransaction(trx)
  debit.merge({ status: to, failureMessage: message.slice(0, FAILURE_MESSAGE_LENGTH) })
  await debit.save()
  await recordPaymentEvent(trx, {
    orderId: debit.orderId,
    contractorDebitId: debit.id,
    refundId: debit.refundId,
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

/**
 * Records Stripe's answer on a locked debit row (used by the debit, its
 * re-runs and reconciliation)
 */
export async function applyStripeDebit(
  trx: TransactionClientContract,
  debit: ContractorDebit,
  charge: Stripe.Charge,
  actor: string
) {
  const from = debit.status
  const status =
    charge.status === 'succeeded' ? 'succeeded' : charge.status === 'failed' ? 'failed' : 'pending'
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
      contractorDebitId: debit.id,
      refundId: debit.refundId,
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
  return status
}

type Driven =
  | { kind: 'succeeded' | 'already_done'; debit: ContractorDebit }
  | { kind: 'failed' | 'closed' | 'unknown' | 'pending'; debit: ContractorDebit }

/**
 * Sends a pending debit to Stripe with the key from its row (after looking
 * for it on Stripe when an earlier run may have sent it), under the
 * contractor's lock. A refusal fails the debit, or leaves it owed when it was
 * being collected.
 */
async function driveDebit(
  debitId: number,
  contractorId: number,
  actor: string,
  options: { fresh: boolean }
): Promise<Driven> {
  return withLockedContractor(contractorId, async (profile, trx) => {
    const debit = await ContractorDebit.query({ client: trx })
      .where('id', debitId)
      .forUpdate()
      .firstOrFail()
    if (debit.status === 'succeeded') {
      return { kind: 'already_done', debit }
    }
    if (debit.status !== 'pending') {
      return { kind: 'closed', debit }
    }

    let charge: Stripe.Charge | null = null
    if (!options.fresh) {
      try {
        charge = await findDebitOnStripe(debit)
      } catch (error) {
        if (describeStripeError(error).isTransient) {
          return { kind: 'unknown', debit }
        }
        throw error
      }
    }
    if (charge?.status === 'failed' && debit.refundId) {
      // An earlier collection Stripe refused: this one is a new attempt
      charge = null
    }
    if (!charge) {
      // An owed debit may be collected more than once (each refusal leaves it
      // owed); each attempt has its own key
      const attempt = await debitAttempt(trx, debit)
      try {
        charge = await stripe().charges.create(
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
          {
            idempotencyKey:
              attempt > 1
                ? idempotencyKey('contractor_debit', debit, 'create', attempt)
                : idempotencyKey('contractor_debit', debit, 'create'),
          }
        )
      } catch (error) {
        const described = reportStripeError(error, {
          contractorDebitId: debit.id,
          operation: 'account_debit',
        })
        if (described.isTransient) {
          return { kind: 'unknown', debit }
        }
        let message = described.message
        if (isStripeError(error) && error.code === 'balance_insufficient') {
          const balance = await connectedBalance(profile.stripeId!, debit.currency)
          message =
            "The contractor's available Stripe balance" +
            (balance === null ? '' : ` (${formatAmount(balance.available, debit.currency)})`) +
            ` cannot cover this ${formatAmount(debit.amount, debit.currency)} debit: nothing was charged.`
        }
        await failDebit(trx, debit, message, actor)
        return { kind: 'failed', debit }
      }
    }

    const status = await applyStripeDebit(trx, debit, charge, actor)
    return {
      kind: status === 'succeeded' ? 'succeeded' : status === 'failed' ? 'failed' : 'pending',
      debit,
    }
  })
}

/** 1 for a debit's first request to Stripe, n for the nth collection of an owed debit */
async function debitAttempt(trx: TransactionClientContract, debit: ContractorDebit) {
  if (!debit.refundId) {
    return 1
  }
  const rows = await trx
    .from('payment_events')
    .where('contractor_debit_id', debit.id)
    .where('type', 'contractor_debit.requested')
    .count('* as total')
  return Math.max(1, Number(rows[0].total))
}

function outcomeOf(driven: Driven, resumed: boolean): DebitResult {
  switch (driven.kind) {
    case 'succeeded':
    case 'already_done':
      return { outcome: driven.kind, resumed, debit: driven.debit }
    case 'unknown':
      throw new ActionError(
        `Stripe did not answer: debit #${driven.debit.id} of ` +
          `${formatAmount(driven.debit.amount, driven.debit.currency)} stays pending. Run the same ` +
          'command again to complete it (it reuses the same idempotency key), or stripe:reconcile --fix.',
        503
      )
    case 'pending':
      throw new ActionError(
        `Debit #${driven.debit.id} is not final on Stripe yet; stripe:reconcile will record the outcome.`,
        503
      )
    case 'failed':
      throw new ActionError(
        `Stripe refused debit #${driven.debit.id}: ${driven.debit.failureMessage ?? 'no reason given.'}`,
        409
      )
    case 'closed':
      throw new ActionError(
        `Debit #${driven.debit.id} is ${driven.debit.status}: ${driven.debit.failureMessage ?? 'nothing to do.'}`,
        409
      )
  }
}

/**
 * The debit an earlier run of the same request made: same contractor, amount,
 * currency and order, pending (first) or succeeded
 */
export function findSameDebit(
  input: Pick<DebitInput, 'contractor' | 'amount' | 'currency' | 'orderId'>,
  trx?: TransactionClientContract
) {
  return ContractorDebit.query(trx ? { client: trx } : {})
    .where('contractorId', input.contractor.id)
    .where('amount', input.amount)
    .where('currency', input.currency.toLowerCase())
    .whereIn('status', ['pending', 'succeeded'])
    .if(
      input.orderId,
      (query) => query.where('orderId', input.orderId!),
      (query) => query.whereNull('orderId')
    )
    .orderByRaw("status = 'pending' DESC, id DESC")
    .first()
}

/**
 * Refuses a debit Stripe would refuse or that makes no sense: not a positive
 * amount, under Stripe's minimum, not in the account's currency, an order of
 * another contractor, a contractor without a Stripe account
 */
export async function assertDebitable(
  input: Pick<DebitInput, 'contractor' | 'amount' | 'currency' | 'orderId'>,
  profile?: UserProfile,
  trx?: TransactionClientContract
) {
  const currency = input.currency.toLowerCase()
  if (!isSupportedCurrency(currency)) {
    throw new ActionError(`Crewpay does not take payments in "${input.currency}".`, 422)
  }
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
    throw new ActionError('The amount to debit must be more than zero.', 422)
  }
  const minimum = getCurrency(currency).minimumCharge
  if (input.amount < minimum) {
    throw new ActionError(
      `Stripe cannot debit less than ${formatAmount(minimum, currency)} in ${currency.toUpperCase()}.`,
      422
    )
  }
  const accountProfile = profile ?? (await UserProfile.findBy('userId', input.contractor.id))
  if (!accountProfile?.stripeId?.startsWith('acct_')) {
    throw new ActionError(
      `${input.contractor.email} has no Stripe account yet: there is nothing to debit.`,
      409
    )
  }
  if (accountProfile.defaultCurrency !== currency) {
    throw new ActionError(
      `Account debits must be in the contractor's account currency ` +
        `(${accountProfile.defaultCurrency.toUpperCase()}), not ${currency.toUpperCase()}.`,
      422
    )
  }
  if (input.orderId) {
    const order = await Order.find(input.orderId, trx ? { client: trx } : {})
    if (!order) {
      throw new ActionError(`Order #${input.orderId} does not exist.`, 404)
    }
    if (order.contractorId !== input.contractor.id) {
      throw new ActionError(
        `Order #${order.id} is not one of ${input.contractor.email}'s orders.`,
        422
      )
    }
  }
  return accountProfile
}

/**
 * Debits a contractor's Stripe balance. See the top of this file for the
 * steps and re-runs.
 */
export async function debitContractor(input: DebitInput): Promise<DebitResult> {
  const currency = input.currency.toLowerCase()
  const opened = await withLockedContractor(input.contractor.id, async (profile, trx) => {
    await assertDebitable(input, profile, trx)

    if (!input.repeat) {
      const earlier = await findSameDebit(input, trx)
      if (earlier) {
        return { debit: earlier, existing: true }
      }
    }

    const debit = await ContractorDebit.create(
      {
        contractorId: input.contractor.id,
        orderId: input.orderId ?? null,
        amount: input.amount,
        currency,
        reason: input.reason,
        status: 'pending',
        initiatedBy: input.actor,
      },
      { client: trx }
    )
    await recordPaymentEvent(trx, {
      orderId: debit.orderId,
      contractorDebitId: debit.id,
      actor: input.actor,
      type: 'contractor_debit.requested',
      toStatus: 'pending',
      amount: debit.amount,
      currency,
      message: debit.reason,
    })
    return { debit, existing: false }
  })

  const driven = await driveDebit(opened.debit.id, input.contractor.id, input.actor, {
    fresh: !opened.existing,
  })
  return outcomeOf(driven, opened.existing && driven.kind !== 'already_done')
}

/**
 * Collects a debit a platform-covered refund recorded as owed. Stripe is
 * asked first whether an earlier attempt went through after all (its answer
 * lost, the row put back to owed); only then is a new attempt sent. A refusal
 * (not enough balance yet) leaves it owed; a collected one is reported.
 */
export async function collectOwedDebit(
  contractor: User,
  debitId: number,
  actor: string
): Promise<DebitResult> {
  const opened = await withLockedContractor(contractor.id, async (_profile, trx) => {
    const debit = await ContractorDebit.query({ client: trx })
      .where('id', debitId)
      .forUpdate()
      .first()
    if (!debit || debit.contractorId !== contractor.id) {
      throw new ActionError(`${contractor.email} has no debit #${debitId}.`, 404)
    }
    if (debit.status === 'failed') {
      throw new ActionError(`Debit #${debit.id} failed: ${debit.failureMessage ?? ''}`.trim(), 409)
    }
    if (debit.status !== 'owed') {
      return { debit, existing: true }
    }
    debit.useTransaction(trx)
    debit.status = 'pending'
    await debit.save()
    await recordPaymentEvent(trx, {
      orderId: debit.orderId,
      contractorDebitId: debit.id,
      refundId: debit.refundId,
      actor,
      type: 'contractor_debit.requested',
      fromStatus: 'owed',
      toStatus: 'pending',
      amount: debit.amount,
      currency: debit.currency,
      message: `Collecting: ${debit.reason}`,
    })
    return { debit, existing: false }
  })
  const driven = await driveDebit(opened.debit.id, contractor.id, actor, { fresh: false })
  return outcomeOf(driven, opened.existing && driven.kind !== 'already_done')
}
