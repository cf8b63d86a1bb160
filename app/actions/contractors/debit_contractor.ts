import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import ContractorDebit, { DEBIT_STATES } from '#models/contractor_debit'
import OrderLine from '#models/order_line'
import Order from '#models/order'
import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { DomainError } from '#exceptions/domain_error'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount } from '#money/amounts'
import { getCurrency, isSupportedCurrency } from '#money/currencies'
import { sendToStripe } from '#stripe/write'
import { connectedBalance, lockContractor, sendDebit } from '#actions/contractors/debit_records'

export { connectedBalance, debitTransferGroup } from '#actions/contractors/debit_records'

/*
|--------------------------------------------------------------------------
| Account debits: the platform takes money from a contractor's balance
|--------------------------------------------------------------------------
|
| 1. The contractor's available balance is read: a debit it cannot cover is
|    refused with the figures, and nothing is written.
| 2. Under a lock on the contractor's profile the debit row is written
|    (pending) and committed.
| 3. It is sent with its own key (`sendDebit`) and the answer recorded.
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

/**
 * The debit an earlier run of the same request made: same contractor, amount,
 * currency and order, pending (first) or succeeded. Debits a covered refund
 * recorded (collected with --collect) are not such runs.
 */
export function findSameDebit(
  input: Pick<DebitInput, 'contractor' | 'amount' | 'currency' | 'orderId'>,
  trx?: TransactionClientContract
) {
  return ContractorDebit.query(trx ? { client: trx } : {})
    .where('contractorId', input.contractor.id)
    .whereNull('refundId')
    .whereNull('disputeId')
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
 * amount, under Stripe's minimum, not in the account's currency, an order
 * without a line of this contractor, a contractor without a Stripe account
 */
export async function assertDebitable(
  input: Pick<DebitInput, 'contractor' | 'amount' | 'currency' | 'orderId'>,
  profile?: UserProfile | null,
  trx?: TransactionClientContract
) {
  const currency = input.currency.toLowerCase()
  if (!isSupportedCurrency(currency)) {
    throw DomainError.invalid(`Crewpay does not take payments in "${input.currency}".`)
  }
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
    throw DomainError.invalid('The amount to debit must be more than zero.')
  }
  const minimum = getCurrency(currency).minimumCharge
  if (input.amount < minimum) {
    throw DomainError.invalid(
      `Stripe cannot debit less than ${formatAmount(minimum, currency)} in ${currency.toUpperCase()}.`
    )
  }
  const accountProfile = profile ?? (await UserProfile.findBy('userId', input.contractor.id))
  if (!accountProfile?.stripeId?.startsWith('acct_')) {
    throw DomainError.conflict(
      `${input.contractor.email} has no Stripe account yet: there is nothing to debit.`
    )
  }
  if (accountProfile.defaultCurrency !== currency) {
    throw DomainError.invalid(
      `Account debits must be in the contractor's account currency ` +
        `(${accountProfile.defaultCurrency.toUpperCase()}), not ${currency.toUpperCase()}.`
    )
  }
  if (input.orderId) {
    const order = await Order.find(input.orderId, trx ? { client: trx } : {})
    if (!order) {
      throw DomainError.notFound(`Order #${input.orderId} does not exist.`)
    }
    const line = await OrderLine.query(trx ? { client: trx } : {})
      .where('orderId', order.id)
      .where('contractorId', input.contractor.id)
      .first()
    if (!line) {
      throw DomainError.invalid(
        `Order #${order.id} is not one of ${input.contractor.email}'s orders.`
      )
    }
  }
  return accountProfile
}

/** Refuses, with the figures, a debit the contractor's available balance cannot cover */
async function assertBalanceCovers(profile: UserProfile, amount: number, currency: string) {
  const balance = await connectedBalance(profile.stripeId!, currency)
  if (balance && balance.available < amount) {
    throw DomainError.conflict(
      `The contractor's available Stripe balance (${formatAmount(balance.available, currency)}` +
        (balance.pending ? `, ${formatAmount(balance.pending, currency)} more pending` : '') +
        `) cannot cover this ${formatAmount(amount, currency)} debit: nothing was charged.`
    )
  }
}

/**
 * Sends a pending debit and reports Stripe's answer. `resumed`: it was left
 * pending by an earlier run; `lookFirst`: an earlier attempt may have reached
 * Stripe, so it is looked up there before it is sent.
 */
async function sendAndReport(
  debit: ContractorDebit,
  resumed: boolean,
  lookFirst = resumed
): Promise<DebitResult> {
  const outcome = await sendToStripe(sendDebit, debit, {
    lookFirst,
    writtenAt: debit.updatedAt,
  })
  const row = await ContractorDebit.findOrFail(debit.id)
  if (outcome.kind === 'unknown') {
    throw DomainError.unavailable(
      `Stripe did not answer: debit #${row.id} of ${formatAmount(row.amount, row.currency)} stays ` +
        'pending. Run the same command again to complete it (it reuses the same idempotency key), ' +
        'or stripe:reconcile --fix.'
    )
  }
  switch (row.status) {
    case 'succeeded':
      return { outcome: 'succeeded', resumed, debit: row }
    case 'pending':
      throw DomainError.unavailable(
        `Debit #${row.id} is not final on Stripe yet; stripe:reconcile will record the outcome.`
      )
    default:
      throw DomainError.conflict(
        `Stripe refused debit #${row.id}: ${row.failureMessage ?? 'no reason given.'}`
      )
  }
}

/** Debits a contractor's Stripe balance. See the top of this file for the steps and re-runs. */
export async function debitContractor(input: DebitInput): Promise<DebitResult> {
  const currency = input.currency.toLowerCase()
  const profile = await assertDebitable(input)
  if (!input.repeat) {
    const earlier = await findSameDebit(input)
    if (earlier?.status === 'succeeded') {
      return { outcome: 'already_done', resumed: false, debit: earlier }
    }
    if (earlier) {
      return sendAndReport(earlier, true)
    }
  }
  await assertBalanceCovers(profile, input.amount, currency)

  const opened = await db.transaction(async (trx) => {
    await lockContractor(trx, input.contractor.id)
    if (!input.repeat) {
      // The same command run twice at once: the second finds the first's row
      const earlier = await findSameDebit(input, trx)
      if (earlier) {
        return { debit: earlier, existing: true }
      }
    }
    const line = input.orderId
      ? await OrderLine.query({ client: trx })
          .where('orderId', input.orderId)
          .where('contractorId', input.contractor.id)
          .first()
      : null
    const row = await ContractorDebit.create(
      {
        contractorId: input.contractor.id,
        orderId: input.orderId ?? null,
        orderLineId: line?.id ?? null,
        amount: input.amount,
        currency,
        reason: input.reason,
        status: 'pending',
        initiatedBy: input.actor,
      },
      { client: trx }
    )
    await recordPaymentEvent(trx, {
      orderId: row.orderId,
      orderLineId: row.orderLineId,
      contractorDebitId: row.id,
      actor: input.actor,
      type: 'contractor_debit.requested',
      toStatus: 'pending',
      amount: row.amount,
      currency,
      message: row.reason,
    })
    return { debit: row, existing: false }
  })
  if (opened.existing && opened.debit.status === 'succeeded') {
    return { outcome: 'already_done', resumed: false, debit: opened.debit }
  }
  return sendAndReport(opened.debit, opened.existing)
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
  const found = await ContractorDebit.find(debitId)
  if (!found || found.contractorId !== contractor.id) {
    throw DomainError.notFound(`${contractor.email} has no debit #${debitId}.`)
  }
  if (found.status === 'owed') {
    // (A model's columns are getters: spreading it would lose them)
    const profile = await assertDebitable({
      contractor,
      amount: found.amount,
      currency: found.currency,
      orderId: null,
    })
    await assertBalanceCovers(profile, found.amount, found.currency)
  }
  const opened = await db.transaction(async (trx) => {
    await lockContractor(trx, contractor.id)
    const debit = await ContractorDebit.query({ client: trx })
      .where('id', debitId)
      .forUpdate()
      .firstOrFail()
    if (debit.status === 'failed') {
      throw DomainError.conflict(`Debit #${debit.id} failed: ${debit.failureMessage ?? ''}`.trim())
    }
    if (debit.status === 'canceled') {
      throw DomainError.conflict(
        `Debit #${debit.id} is no longer owed: ${debit.failureMessage ?? 'it was canceled.'}`
      )
    }
    if (debit.status !== 'owed') {
      return { debit, existing: true }
    }
    debit.useTransaction(trx)
    debit.merge({
      status: DEBIT_STATES.reach(debit.status, 'pending', 'admin'),
      attempts: debit.attempts + (debit.failureMessage ? 1 : 0),
    })
    await debit.save()
    await recordPaymentEvent(trx, {
      orderId: debit.orderId,
      orderLineId: debit.orderLineId,
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
  if (opened.existing && opened.debit.status === 'succeeded') {
    return { outcome: 'already_done', resumed: false, debit: opened.debit }
  }
  // Looked up first: an earlier attempt whose answer was lost may have gone through
  return sendAndReport(opened.debit, opened.existing, true)
}
