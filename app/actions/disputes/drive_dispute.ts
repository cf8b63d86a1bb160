import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Dispute from '#models/dispute'
import DisputeLine from '#models/dispute_line'
import ContractorDebit, { DEBIT_STATES } from '#models/contractor_debit'
import OrderLine from '#models/order_line'
import Payment from '#models/payment'
import Refund from '#models/refund'
import Transfer, { TRANSFER_STATES } from '#models/transfer'
import TransferReversal from '#models/transfer_reversal'
import UserProfile from '#models/user_profile'
import type { MarketplaceConfig } from '#config/marketplace'
import { actors, type Actor } from '#domain/actor'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount } from '#money/amounts'
import { proportionalShare } from '#money/shares'
import { contractorDisputeShare, disputeFeeShares } from '#money/dispute_shares'
import { sendToStripe, type WriteOutcome } from '#stripe/write'
import { lockForPayer } from '#actions/orders/order_lock'
import { sendTransferReversal } from '#actions/transfers/reverse_transfer'
import { sendDebit } from '#actions/contractors/debit_records'
import { sendShareReturn } from '#actions/disputes/share_return'

/*
|--------------------------------------------------------------------------
| The contractors' shares of a dispute: taken back, given back
|--------------------------------------------------------------------------
|
| Stripe takes the disputed amount and a fee from the platform and nothing
| from the contractors. What follows is decided here from the dispute and
| its records alone (so a webhook, the send_pending_writes job and
| reconciliation all converge on it), under the order's lock (a payment
| request's payment: the request's; its one line is the request's
| contractor, recovered from the charge's destination transfer), and written
| as pending rows; they are sent after commit, each with its own key:
|
| 1. Funds withdrawn (and the dispute not won): the policy in force is kept
|    on the dispute (DISPUTE_RECOVERY, DISPUTE_FEE_PAID_BY), and each
|    concerned line whose contractor was paid gives back its share
|    (app/money/dispute_shares.ts), plus its part of the dispute fee when
|    contractors pay it: `reverse` reverses the line's transfer (the
|    destination transfer in the hold flow; a debit when what is left of the
|    transfer cannot give it all back), `debit` debits their balance, `none`
|    takes nothing. One recovery per line. A reversal Stripe refuses (the
|    balance cannot cover it) becomes a debit they owe; a debit Stripe
|    refuses stays owed.
|    A line paid later gives back its share then (the next drive).
| 2. Won: owed debits are canceled; once no recovery is pending, each
|    contractor gets back what was taken from them, as one transfer
|    (`dispute_return`), less their part of the fee when Stripe kept it.
|    A return Stripe refuses is tried again later with a new attempt.
| 3. Lost (or an inquiry closed): nothing more; owed debits stay owed.
|
| The dispute is settled when it is closed and nothing is left to do.
|
*/

/** A refused return is tried again after this long (the platform's balance may have grown) */
const RETRY_RETURN_SECONDS = 15 * 60

export interface DisputeStep {
  /** "take back $97.20 from carla@example.com (reversal of transfer #3)" */
  description: string
}

interface Context {
  trx: TransactionClientContract
  dispute: Dispute
  payment: Payment
  write: boolean
  actor: Actor
  steps: DisputeStep[]
  money: (value: number) => string
}

function marketplace() {
  return app.config.get<MarketplaceConfig>('marketplace')
}

async function event(ctx: Context, data: Omit<Parameters<typeof recordPaymentEvent>[1], 'actor'>) {
  await recordPaymentEvent(ctx.trx, {
    orderId: ctx.dispute.orderId,
    paymentRequestId: ctx.dispute.paymentRequestId,
    paymentId: ctx.dispute.paymentId,
    disputeId: ctx.dispute.id,
    actor: ctx.actor.label,
    currency: ctx.dispute.currency,
    ...data,
  })
}

/** The policy in force when the funds were withdrawn, kept with the dispute (and the fee shares) */
async function keepPolicy(ctx: Context, lines: DisputeLine[]) {
  const { dispute } = ctx
  if (!dispute.withdrawnAt || dispute.recovery !== null) {
    return
  }
  const config = marketplace()
  ctx.steps.push({
    description: `apply the recovery policy in force (DISPUTE_RECOVERY=${config.disputeRecovery}, DISPUTE_FEE_PAID_BY=${config.disputeFeePaidBy})`,
  })
  if (!ctx.write) {
    dispute.recovery = config.disputeRecovery
    dispute.feePaidBy = config.disputeFeePaidBy
    return
  }
  dispute.useTransaction(ctx.trx)
  dispute.merge({ recovery: config.disputeRecovery, feePaidBy: config.disputeFeePaidBy })
  await dispute.save()
  // The fee is in the platform's settlement currency: split only when it is the payment's
  if (
    config.disputeFeePaidBy === 'contractor' &&
    dispute.withdrawnFee > 0 &&
    (dispute.balanceCurrency ?? dispute.currency) === dispute.currency
  ) {
    const shares = disputeFeeShares(
      dispute.withdrawnFee,
      new Map(lines.map((line) => [line.id, line.amount]))
    )
    for (const line of lines) {
      line.useTransaction(ctx.trx)
      line.feeShare = shares.get(line.id) ?? 0
      await line.save()
    }
  }
}

/**
 * What the line's contractor received for it, and out of what (null: not
 * paid out yet). A payment request's line (no order line) is its payment's
 * destination charge, as the hold flow's.
 */
function paidOutFor(payment: Payment, line: OrderLine | undefined, transfer: Transfer | undefined) {
  if (!transfer || transfer.status !== 'paid') {
    return null
  }
  if (transfer.kind === 'destination' || !line) {
    // The destination transfer is the whole charge; the platform's fee came back to it
    const fee = payment.applicationFeeAmount ?? line?.feeAmount ?? 0
    return { paidOut: Math.max(0, transfer.amount - fee), amount: payment.amountCaptured }
  }
  return { paidOut: transfer.amount, amount: line.amount }
}

interface Records {
  lines: DisputeLine[]
  orderLines: Map<number, OrderLine>
  /** Each dispute line's payout: its order line's transfer, or the request payment's */
  transfers: Map<number, Transfer>
  reversals: TransferReversal[]
  debits: ContractorDebit[]
  returns: Transfer[]
}

async function load(ctx: Context): Promise<Records> {
  const client = { client: ctx.trx }
  const lines = await DisputeLine.query(client).where('disputeId', ctx.dispute.id).orderBy('id')
  const ids = lines.flatMap((line) => (line.orderLineId === null ? [] : [line.orderLineId]))
  const orderLines = ids.length ? await OrderLine.query(client).whereIn('id', ids) : []
  const transfers = ids.length
    ? await Transfer.query(client).whereIn('orderLineId', ids).whereNull('disputeId')
    : []
  // A request payment's line: the destination transfer Stripe made with the charge
  const requestTransfer = lines.some((line) => line.orderLineId === null)
    ? await Transfer.query(client)
        .where('paymentId', ctx.dispute.paymentId)
        .whereNull('orderLineId')
        .where('kind', 'destination')
        .first()
    : null
  const byLine = new Map<number, Transfer>()
  for (const line of lines) {
    const transfer =
      line.orderLineId === null
        ? requestTransfer
        : transfers.find((candidate) => candidate.orderLineId === line.orderLineId)
    if (transfer) {
      byLine.set(line.id, transfer)
    }
  }
  return {
    lines,
    orderLines: new Map(orderLines.map((line) => [line.id, line])),
    transfers: byLine,
    reversals: await TransferReversal.query(client)
      .where('disputeId', ctx.dispute.id)
      .orderBy('id'),
    debits: await ContractorDebit.query(client).where('disputeId', ctx.dispute.id).orderBy('id'),
    returns: await Transfer.query(client).where('disputeId', ctx.dispute.id).orderBy('id'),
  }
}

function recoveryOf(records: Records, line: DisputeLine) {
  const transfer = records.transfers.get(line.id)
  return {
    transfer,
    reversal: transfer
      ? records.reversals.find((reversal) => reversal.transferId === transfer.id)
      : undefined,
    // A request's line has no order line: its debit is the contractor's one without a line
    debit: records.debits.find(
      (debit) => debit.orderLineId === line.orderLineId && debit.contractorId === line.contractorId
    ),
  }
}

function orderLineOf(records: Records, line: DisputeLine) {
  return line.orderLineId === null ? undefined : records.orderLines.get(line.orderLineId)
}

/** How a recovery names its line in the console's plan */
function lineLabel(line: DisputeLine) {
  return line.orderLineId === null ? 'the request payment' : `line #${line.orderLineId}`
}

/** Step 1: each paid line's share taken back, by the policy kept on the dispute */
async function takeBack(ctx: Context, records: Records) {
  const { dispute, payment } = ctx
  for (const line of records.lines) {
    const orderLine = orderLineOf(records, line)
    const { transfer, reversal, debit } = recoveryOf(records, line)
    if (reversal?.status === 'failed' && !debit) {
      await owe(ctx, line, reversal.amount, reversal.failureMessage)
      continue
    }
    if (reversal || debit) {
      continue
    }
    const paid = paidOutFor(payment, orderLine, transfer)
    if (!paid) {
      // Not paid out yet: nothing to take back; its share is taken once it is paid
      continue
    }
    const share = line.share ?? contractorDisputeShare({ part: line.amount, ...paid })
    if (ctx.write && line.share === null) {
      line.useTransaction(ctx.trx)
      line.share = share
      await line.save()
    }
    const total = share + line.feeShare
    if (total <= 0) {
      continue
    }
    const contractor = await contractorEmail(ctx, line.contractorId)
    const pendingOnTransfer = records.reversals
      .filter((other) => other.transferId === transfer!.id && other.status === 'pending')
      .reduce((sum, other) => sum + other.amount, 0)
    const reversible = transfer!.amount - (await reversedOf(ctx, transfer!)) - pendingOnTransfer
    // One recovery per line: a reversal when the transfer can give it all back, else a debit
    if (dispute.recovery === 'debit' || total > reversible) {
      ctx.steps.push({
        description: `debit ${ctx.money(total)} from ${contractor} (${lineLabel(line)})`,
      })
      if (ctx.write) {
        await openDebit(ctx, line, orderLine, total, 'pending', null)
      }
      continue
    }
    ctx.steps.push({
      description:
        `take back ${ctx.money(total)} from ${contractor} (reversal of transfer #${transfer!.id}, ` +
        `${lineLabel(line)})`,
    })
    if (ctx.write) {
      const row = await TransferReversal.create(
        {
          transferId: transfer!.id,
          disputeId: dispute.id,
          amount: total,
          currency: transfer!.currency,
          status: 'pending',
          initiatedBy: ctx.actor.label,
        },
        { client: ctx.trx }
      )
      await event(ctx, {
        orderLineId: line.orderLineId,
        transferId: transfer!.id,
        type: 'dispute.share_requested',
        toStatus: 'pending',
        amount: total,
        message:
          `Their share of the disputed ${ctx.money(line.amount)}` +
          (line.feeShare ? ` and ${ctx.money(line.feeShare)} of the dispute fee` : '') +
          `: reversal #${row.id}`,
      })
    }
  }
}

/**
 * What Stripe has reversed of a transfer so far. A destination charge's
 * refund with reverse_transfer reverses its transfer on Stripe's side with
 * no reversal row of ours (the row's amount_reversed counts our reversals
 * until reconciliation takes Stripe's total): those refunds count too.
 */
async function reversedOf(ctx: Context, transfer: Transfer) {
  if (transfer.kind !== 'destination') {
    return transfer.amountReversed
  }
  const client = { client: ctx.trx }
  const rows = await TransferReversal.query(client)
    .where('transferId', transfer.id)
    .where('status', 'succeeded')
  const refunds = await Refund.query(client)
    .where('paymentId', transfer.paymentId)
    .where('reverseTransfer', true)
    .whereIn('status', ['pending', 'succeeded'])
  const ours =
    rows.reduce((sum, row) => sum + row.amount, 0) +
    refunds.reduce(
      (sum, refund) =>
        sum + proportionalShare(transfer.amount, refund.amount, ctx.payment.amountCaptured),
      0
    )
  return Math.min(transfer.amount, Math.max(transfer.amountReversed, ours))
}

async function contractorEmail(ctx: Context, contractorId: number) {
  const user = await ctx.trx.from('users').where('id', contractorId).select('email').first()
  return (user?.email as string | undefined) ?? `contractor #${contractorId}`
}

/** A debit of the contractor's share: sent now (`pending`), or recorded as owed */
async function openDebit(
  ctx: Context,
  line: DisputeLine,
  orderLine: OrderLine | undefined,
  amount: number,
  status: 'pending' | 'owed',
  why: string | null
) {
  const { dispute } = ctx
  const debit = await ContractorDebit.create(
    {
      contractorId: line.contractorId,
      orderId: dispute.orderId,
      orderLineId: line.orderLineId,
      disputeId: dispute.id,
      amount,
      currency: dispute.currency,
      reason: orderLine
        ? `Share of the disputed payment of order #${dispute.orderId} (“${orderLine.title}”), ` +
          `dispute ${dispute.stripeDisputeId}`
        : `Share of the disputed payment #${dispute.paymentId} of payment request ` +
          `#${dispute.paymentRequestId}, dispute ${dispute.stripeDisputeId}`,
      status,
      initiatedBy: ctx.actor.label,
    },
    { client: ctx.trx }
  )
  await event(ctx, {
    orderLineId: line.orderLineId,
    contractorDebitId: debit.id,
    type: status === 'owed' ? 'dispute.share_owed' : 'contractor_debit.requested',
    toStatus: status,
    amount,
    message:
      status === 'owed'
        ? `Their balance could not cover their share${why ? ` (${why})` : ''}: debit #${debit.id} is owed`
        : debit.reason,
  })
  return debit
}

async function owe(ctx: Context, line: DisputeLine, amount: number, why: string | null) {
  const contractor = await contractorEmail(ctx, line.contractorId)
  ctx.steps.push({
    description: `record ${ctx.money(amount)} owed by ${contractor} (their reversal was refused)`,
  })
  if (ctx.write) {
    const orderLine =
      line.orderLineId === null
        ? undefined
        : await OrderLine.findOrFail(line.orderLineId, { client: ctx.trx })
    await openDebit(ctx, line, orderLine, amount, 'owed', why)
  }
}

/** Step 2: a won dispute cancels what is owed and gives back what was taken */
async function giveBack(ctx: Context, records: Records) {
  const { dispute, payment } = ctx
  for (const debit of records.debits.filter((candidate) => candidate.status === 'owed')) {
    ctx.steps.push({ description: `cancel debit #${debit.id} (${ctx.money(debit.amount)} owed)` })
    if (ctx.write) {
      debit.useTransaction(ctx.trx)
      debit.merge({
        status: DEBIT_STATES.reach(debit.status, 'canceled', 'system'),
        failureMessage: 'The dispute was won: nothing is owed.',
      })
      await debit.save()
      await event(ctx, {
        orderLineId: debit.orderLineId,
        contractorDebitId: debit.id,
        type: 'contractor_debit.canceled',
        fromStatus: 'owed',
        toStatus: 'canceled',
        amount: debit.amount,
        message: 'The dispute was won: nothing is owed',
      })
    }
  }
  const pending =
    records.reversals.some((reversal) => reversal.status === 'pending') ||
    records.debits.some((debit) => debit.status === 'pending')
  if (pending) {
    // What was taken is known once every recovery has Stripe's answer
    return
  }
  const feeKept = dispute.reinstatedFee === 0
  const contractors = [...new Set(records.lines.map((line) => line.contractorId))]
  for (const contractorId of contractors) {
    let taken = 0
    let feeShares = 0
    for (const line of records.lines.filter((entry) => entry.contractorId === contractorId)) {
      const { reversal, debit } = recoveryOf(records, line)
      const recovered =
        (reversal?.status === 'succeeded' ? reversal.amount : 0) +
        (debit?.status === 'succeeded' ? debit.amount : 0)
      taken += recovered
      if (recovered > 0) {
        feeShares += line.feeShare
      }
    }
    const amount = taken - (feeKept ? Math.min(taken, feeShares) : 0)
    const existing = records.returns.find((transfer) => transfer.contractorId === contractorId)
    const contractor = await contractorEmail(ctx, contractorId)
    if (!existing) {
      if (amount <= 0) {
        continue
      }
      ctx.steps.push({ description: `give ${ctx.money(amount)} back to ${contractor}` })
      if (ctx.write) {
        const profile = await UserProfile.query({ client: ctx.trx })
          .where('userId', contractorId)
          .firstOrFail()
        const transfer = await Transfer.create(
          {
            paymentId: payment.id,
            orderLineId: null,
            disputeId: dispute.id,
            contractorId,
            destination: profile.stripeId!,
            kind: 'dispute_return',
            amount,
            currency: dispute.currency,
            status: 'pending',
            initiatedBy: ctx.actor.label,
          },
          { client: ctx.trx }
        )
        await event(ctx, {
          orderLineId: records.lines.find((line) => line.contractorId === contractorId)!
            .orderLineId,
          transferId: transfer.id,
          type: 'transfer.return_requested',
          toStatus: 'pending',
          amount,
          message:
            'The dispute was won: what was taken back is given back' +
            (feeKept && feeShares ? ', less the dispute fee Stripe kept' : ''),
        })
      }
      continue
    }
    const retryAfter = DateTime.now().minus({ seconds: RETRY_RETURN_SECONDS })
    if (existing.status === 'failed' && existing.updatedAt < retryAfter) {
      ctx.steps.push({
        description: `give ${ctx.money(existing.amount)} back to ${contractor} again (transfer #${existing.id} was refused: ${existing.failureMessage ?? 'no reason given'})`,
      })
      if (ctx.write) {
        existing.useTransaction(ctx.trx)
        existing.merge({
          status: TRANSFER_STATES.reach(existing.status, 'pending', 'system'),
          attempts: existing.attempts + 1,
        })
        await existing.save()
        await event(ctx, {
          transferId: existing.id,
          type: 'transfer.return_requested',
          fromStatus: 'failed',
          toStatus: 'pending',
          amount: existing.amount,
          message: `Attempt ${existing.attempts} after: ${existing.failureMessage ?? 'a refusal'}`,
        })
      }
    }
  }
}

/** Closed, and nothing left to take back, give back or hear from Stripe */
function isSettled(dispute: Dispute, records: Records) {
  if (!dispute.isClosed) {
    return false
  }
  const pending =
    records.reversals.some((row) => row.status === 'pending') ||
    records.debits.some((row) => row.status === 'pending') ||
    records.returns.some((row) => row.status !== 'paid')
  if (pending) {
    return false
  }
  if (dispute.status === 'won' || !dispute.withdrawnAt || dispute.recovery === 'none') {
    return true
  }
  // Lost: every line either gave its share back (or owes it), or will never be paid
  return records.lines.every((line) => {
    const { reversal, debit } = recoveryOf(records, line)
    const orderLine = orderLineOf(records, line)
    return (
      reversal ||
      debit ||
      line.share === 0 ||
      orderLine?.status === 'declined' ||
      orderLine?.status === 'canceled'
    )
  })
}

/**
 * What a locked dispute still needs (the order locked by the caller),
 * written when `write` (pending rows, sent by `driveDispute` after commit)
 */
export async function planDispute(
  trx: TransactionClientContract,
  dispute: Dispute,
  options: { write: boolean; actor: Actor }
) {
  const payment = await Payment.findOrFail(dispute.paymentId, { client: trx })
  const ctx: Context = {
    trx,
    dispute,
    payment,
    write: options.write,
    actor: options.actor,
    steps: [],
    money: (value) => formatAmount(value, dispute.currency),
  }
  let records = await load(ctx)
  await keepPolicy(ctx, records.lines)
  if (dispute.withdrawnAt && dispute.status !== 'won' && dispute.recovery !== 'none') {
    await takeBack(ctx, records)
  }
  if (dispute.status === 'won') {
    await giveBack(ctx, records)
  }
  if (options.write && ctx.steps.length) {
    records = await load(ctx)
  }
  const settled = ctx.steps.length === 0 && isSettled(dispute, records)
  if (options.write && settled && !dispute.settledAt) {
    dispute.useTransaction(trx)
    dispute.settledAt = DateTime.now()
    await dispute.save()
  }
  return { steps: ctx.steps, settled }
}

/** Locks a dispute's order (or payment request), then the dispute, and runs `work` */
export async function withDisputeLock<T>(
  disputeId: number,
  work: (trx: TransactionClientContract, dispute: Dispute) => Promise<T>
) {
  const { orderId, paymentRequestId } = await Dispute.findOrFail(disputeId)
  return db.transaction(async (trx) => {
    await lockForPayer(trx, { orderId, paymentRequestId })
    const dispute = await Dispute.query({ client: trx })
      .where('id', disputeId)
      .forUpdate()
      .firstOrFail()
    return work(trx, dispute)
  })
}

export interface DrivenDisputeWrite {
  operation: 'reversal' | 'debit' | 'return'
  id: number
  outcome: WriteOutcome<unknown>
}

/** Sends a dispute's pending recoveries and returns, each with its own key */
async function sendPending(disputeId: number) {
  const driven: DrivenDisputeWrite[] = []
  const reversals = await TransferReversal.query()
    .where('disputeId', disputeId)
    .where('status', 'pending')
    .orderBy('id')
  for (const reversal of reversals) {
    driven.push({
      operation: 'reversal',
      id: reversal.id,
      outcome: await sendToStripe(sendTransferReversal, reversal, {
        writtenAt: reversal.createdAt,
      }),
    })
  }
  const debits = await ContractorDebit.query()
    .where('disputeId', disputeId)
    .where('status', 'pending')
    .orderBy('id')
  for (const debit of debits) {
    driven.push({
      operation: 'debit',
      id: debit.id,
      outcome: await sendToStripe(sendDebit, debit, { writtenAt: debit.updatedAt }),
    })
  }
  const returns = await Transfer.query()
    .where('disputeId', disputeId)
    .where('status', 'pending')
    .orderBy('id')
  for (const transfer of returns) {
    driven.push({
      operation: 'return',
      id: transfer.id,
      outcome: await sendToStripe(sendShareReturn, transfer, { writtenAt: transfer.updatedAt }),
    })
  }
  return driven
}

/**
 * Takes back and gives back the contractors' shares of a dispute as far as
 * it can now: decides and writes under the lock, sends after commit (rows
 * an earlier run left pending too: same keys), and again while what Stripe
 * answered leads to more (a refused reversal becomes an owed debit).
 */
export async function driveDispute(disputeId: number, options: { actor?: Actor } = {}) {
  const actor = options.actor ?? actors.system('disputes')
  const driven: DrivenDisputeWrite[] = []
  for (let round = 0; round < 4; round += 1) {
    const { steps } = await withDisputeLock(disputeId, (trx, dispute) =>
      planDispute(trx, dispute, { write: true, actor })
    )
    const sent = await sendPending(disputeId)
    driven.push(...sent)
    if (steps.length === 0 && sent.length === 0) {
      break
    }
  }
  return driven
}

/**
 * Every dispute not settled yet, driven (the send_pending_writes job): a
 * crash between a row and its send, a refused return to try again, a line
 * paid since the funds were withdrawn
 */
export async function driveUnsettledDisputes() {
  const disputes = await Dispute.query().whereNull('settledAt').orderBy('id').select('id')
  let sent = 0
  for (const { id } of disputes) {
    const driven = await driveDispute(id, { actor: actors.system('send_pending_writes') })
    sent += driven.length
  }
  return sent
}
