import { type Context } from '../core/context.js'
import { previousAttributes, snapshot } from '../core/diff.js'
import { balanceInsufficient, invalidRequest, paramError, resourceMissing } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { embeddedList, LIST_PARAMS, paginate } from '../core/lists.js'
import { applyMetadata, bool, hash, int, meta, str } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Engine } from '../engine.js'
import { addTxn, availabilityOf, balanceOf, type FeeDetail } from '../ledger.js'
import { assertCurrency, proportion } from '../money.js'
import { findConnected } from './accounts.js'
import { refundApplicationFee, remainingFee } from './application_fees.js'

/*
 * Transfers between a platform and its connected accounts: the `tr_` on the
 * sending account, the `py_` payment it creates on the receiving account,
 * and reversals (`trr_` + the `pyr_` refund of that payment).
 */

export const CAPABILITY_MESSAGE =
  'Your destination account needs to have at least one of the following capabilities ' +
  'enabled: transfers, crypto_transfers, legacy_payments'

/** Refuses a destination without an active `transfers` capability. */
export function assertCanReceiveTransfers(destination: Rec, param: string): void {
  if (destination.x.platform) {
    return
  }
  if (destination.obj.capabilities?.transfers !== 'active') {
    throw invalidRequest(CAPABILITY_MESSAGE, {
      code: 'insufficient_capabilities_for_transfer',
      param,
    })
  }
}

export interface MoveFunds {
  from: Rec
  to: Rec
  amount: number
  currency: string
  sourceTransaction: string | null
  transferGroup: string | null
  description?: string | null
  metadata?: Record<string, string>
  /** when the money becomes available on both sides */
  availableOn: number
  /** application fee taken from the receiving payment (destination charges) */
  applicationFee?: { amount: number; application: string | null }
}

/**
 * A transfer: −amount on the sender (`transfer` txn), +amount on the
 * receiver as a `py_` payment (`payment` txn, less any application fee).
 */
export function moveFunds(engine: Engine, input: MoveFunds): { transfer: Rec; payment: Rec } {
  const transferId = newId('tr')
  const paymentId = newId('py')
  const plat = input.from.plat
  const now = engine.now()
  const senderTxn = addTxn(engine, input.from.id, plat, {
    amount: -input.amount,
    currency: input.currency,
    type: 'transfer',
    reportingCategory: 'transfer',
    source: transferId,
    description: input.description ?? null,
    availableOn: input.availableOn,
  })
  const fee = input.applicationFee?.amount ?? 0
  const feeDetails: FeeDetail[] =
    fee > 0
      ? [
          {
            amount: fee,
            application: input.applicationFee?.application ?? null,
            currency: input.currency,
            description: 'Application fee',
            type: 'application_fee',
          },
        ]
      : []
  const receiverTxn = addTxn(engine, input.to.id, plat, {
    amount: input.amount,
    currency: input.currency,
    type: 'payment',
    reportingCategory: 'charge',
    source: paymentId,
    fee,
    feeDetails,
    availableOn: input.availableOn,
  })
  const transfer = engine.create('transfer', input.from.id, plat, {
    id: transferId,
    object: 'transfer',
    amount: input.amount,
    amount_reversed: 0,
    balance_transaction: senderTxn.id,
    created: now,
    currency: input.currency,
    description: input.description ?? null,
    destination: input.to.id,
    destination_payment: paymentId,
    livemode: false,
    metadata: input.metadata ?? {},
    reversed: false,
    source_transaction: input.sourceTransaction,
    source_type: 'card',
    transfer_group: input.transferGroup,
  })
  const payment = engine.create(
    'charge',
    input.to.id,
    plat,
    paymentObject(input, paymentId, transferId, receiverTxn.id, now)
  )
  return { transfer, payment }
}

function paymentObject(input: MoveFunds, id: string, transfer: string, txn: string, now: number) {
  return {
    id,
    object: 'charge',
    amount: input.amount,
    amount_captured: input.amount,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: input.applicationFee?.amount ?? null,
    balance_transaction: txn,
    billing_details: {
      address: {
        city: null,
        country: null,
        line1: null,
        line2: null,
        postal_code: null,
        state: null,
      },
      email: null,
      name: null,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: null,
    captured: true,
    created: now,
    currency: input.currency,
    customer: null,
    description: input.description ?? null,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    metadata: {},
    on_behalf_of: null,
    outcome: null,
    paid: true,
    payment_intent: null,
    payment_method: null,
    payment_method_details: { stripe_account: {}, type: 'stripe_account' },
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: { id: input.from.id, object: 'account' },
    source_transfer: transfer,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: input.transferGroup,
  }
}

export function remainingTransfer(transfer: Rec): number {
  return transfer.obj.amount - transfer.obj.amount_reversed
}

/** Whether a transfer was made by a destination charge (not by POST /v1/transfers). */
function fromDestinationCharge(engine: Engine, transfer: Rec): boolean {
  if (transfer.x.destinationCharge) {
    return true
  }
  const source = transfer.obj.source_transaction
  return Boolean(source && engine.store.get(source)?.obj.transfer === transfer.id)
}

/**
 * Refuses a reversal the receiving account cannot cover. A separate
 * transfer is reversed from the destination's available balance (§5); a
 * destination charge's transfer may also use what is still pending
 * (UNCONFIRMED, see the README). `credit` is a fee refund paid in the same
 * operation.
 */
export function assertCanReverse(engine: Engine, transfer: Rec, amount: number, credit = 0): void {
  const balance = balanceOf(engine, transfer.obj.destination, transfer.obj.currency)
  const pendingCounts = fromDestinationCharge(engine, transfer)
  const usable = balance.available + (pendingCounts ? balance.pending : 0)
  if (usable + credit < amount) {
    throw balanceInsufficient(
      `The destination account ${transfer.obj.destination} has insufficient funds to reverse ` +
        `${amount} ${transfer.obj.currency} of transfer ${transfer.id}: its ` +
        (pendingCounts
          ? `balance is ${usable} ${transfer.obj.currency} (available + pending).`
          : `available balance is ${usable} ${transfer.obj.currency}.`) +
        ' Nothing was refunded or reversed.'
    )
  }
}

export interface ReverseOptions {
  sourceRefund?: string | null
  description?: string | null
  metadata?: Record<string, string>
}

/** Reverses part of a transfer: `trr_` on the sender, `pyr_` refund on the receiver. */
export function reverseTransfer(
  engine: Engine,
  transfer: Rec,
  amount: number,
  opts: ReverseOptions
) {
  const reversalId = newId('trr')
  const paymentRefundId = newId('pyr')
  const plat = transfer.plat
  const currency = transfer.obj.currency
  const senderTxn = addTxn(engine, transfer.acct, plat, {
    amount,
    currency,
    type: 'transfer_refund',
    reportingCategory: 'transfer_reversal',
    source: reversalId,
    description: opts.description ?? null,
  })
  const receiverTxn = addTxn(engine, transfer.obj.destination, plat, {
    amount: -amount,
    currency,
    type: 'payment_refund',
    reportingCategory: 'refund',
    source: paymentRefundId,
  })
  const now = engine.now()
  const payment = engine.store.get(transfer.obj.destination_payment)
  const paymentRefund = engine.create('refund', transfer.obj.destination, plat, {
    id: paymentRefundId,
    object: 'refund',
    amount,
    balance_transaction: receiverTxn.id,
    charge: transfer.obj.destination_payment,
    created: now,
    currency,
    customer: null,
    customer_account: null,
    metadata: {},
    payment_intent: null,
    payment_method: null,
    reason: null,
    receipt_number: null,
    source_transfer_reversal: reversalId,
    status: 'succeeded',
    transfer_reversal: null,
  })
  if (payment) {
    payment.obj.amount_refunded += amount
    payment.obj.refunded = payment.obj.amount_refunded >= payment.obj.amount
  }
  const reversal = engine.create('transfer_reversal', transfer.acct, plat, {
    id: reversalId,
    object: 'transfer_reversal',
    amount,
    balance_transaction: senderTxn.id,
    created: now,
    currency,
    destination_payment_refund: paymentRefundId,
    metadata: opts.metadata ?? {},
    source_refund: opts.sourceRefund ?? null,
    transfer: transfer.id,
  })
  const before = snapshot(engine.render(transfer))
  transfer.obj.amount_reversed += amount
  transfer.obj.reversed = transfer.obj.amount_reversed >= transfer.obj.amount
  engine.emitFor(transfer, 'transfer.reversed', previousAttributes(before, engine.render(transfer)))
  return { reversal, paymentRefund }
}

/** Transfers without `source_transaction` draw on the sender's available balance. */
function assertAvailable(engine: Engine, acct: string, amount: number, currency: string): void {
  const { available } = balanceOf(engine, acct, currency)
  if (available < amount) {
    throw balanceInsufficient(
      'You have insufficient funds in your Stripe account for this transfer. Your card balance ' +
        'is too low. You can use the /v1/balance endpoint to view your Stripe balance (for more ' +
        'details, see stripe.com/docs/api#balance).'
    )
  }
}

function createTransfer(ctx: Context): Rec {
  const engine = ctx.engine
  const params = ctx.params
  const currency = assertCurrency(params.currency)
  const amount: number = params.amount
  const from = engine.store.get(ctx.account)!
  let to: Rec
  if (ctx.connected) {
    // A connected account can only send money back to its platform (§7).
    if (params.destination !== ctx.platform) {
      throw invalidRequest(
        'A connected account can only transfer to its platform account; use the platform ' +
          'account id as destination.',
        { param: 'destination' }
      )
    }
    to = engine.store.get(ctx.platform)!
  } else {
    to = findConnected(ctx, params.destination, 'destination')
    assertCanReceiveTransfers(to, 'destination')
  }
  let availableOn = engine.now()
  let transferGroup: string | null = params.transfer_group ?? null
  if (params.source_transaction) {
    const charge = engine.store.get(params.source_transaction)
    if (!charge || charge.type !== 'charge' || charge.acct !== from.id) {
      throw resourceMissing('charge', params.source_transaction, 'source_transaction')
    }
    // A processing ACH debit (pending) can fund a transfer already (§5): if the debit
    // fails later, the platform's balance pays for the transfer.
    const usable = charge.obj.status === 'succeeded' || charge.obj.status === 'pending'
    if (!usable || !charge.obj.captured) {
      throw invalidRequest(
        `The source_transaction ${charge.id} has not succeeded and been captured; transfers can ` +
          `only be funded by captured charges.`,
        { param: 'source_transaction' }
      )
    }
    if (charge.obj.currency !== currency) {
      throw invalidRequest(
        `The currency of source_transaction's balance transaction (${charge.obj.currency}) must ` +
          `be the same as the transfer currency (${currency}).`,
        { param: 'currency' }
      )
    }
    const used = engine.store
      .list(`transfer|${from.id}|source_transaction=${charge.id}`)
      .reduce((sum, t) => sum + t.obj.amount, 0)
    const capacity = charge.obj.amount_captured - used
    if (amount > capacity) {
      throw invalidRequest(
        `Insufficient funds in source_transaction ${charge.id}: the transfer amount (${amount}) ` +
          `exceeds the part of the charge not already transferred (${capacity}).`,
        { code: 'balance_insufficient', param: 'amount' }
      )
    }
    availableOn = availabilityOf(engine, charge.obj.balance_transaction)
    // Stripe labels both the charge and the transfer with the group.
    transferGroup ??= charge.obj.transfer_group ?? `group_${charge.obj.payment_intent ?? charge.id}`
    if (!charge.obj.transfer_group) {
      charge.obj.transfer_group = transferGroup
    }
  } else {
    assertAvailable(engine, from.id, amount, currency)
  }
  const { transfer } = moveFunds(engine, {
    from,
    to,
    amount,
    currency,
    sourceTransaction: params.source_transaction ?? null,
    transferGroup,
    description: params.description ?? null,
    metadata: applyMetadata({}, params.metadata),
    availableOn,
  })
  engine.emitFor(transfer, 'transfer.created')
  return transfer
}

export function registerTransfers(engine: Engine): void {
  const router = engine.router
  engine.setIndexer('transfer', (rec) => {
    const keys = [`destination=${rec.obj.destination}`]
    if (rec.obj.transfer_group) {
      keys.push(`transfer_group=${rec.obj.transfer_group}`)
    }
    if (rec.obj.source_transaction) {
      keys.push(`source_transaction=${rec.obj.source_transaction}`)
    }
    return keys
  })
  engine.setIndexer('transfer_reversal', (rec) => [`transfer=${rec.obj.transfer}`])
  engine.setRenderer('transfer', (rec) => ({
    ...rec.obj,
    reversals: embeddedList(
      engine.store.list(`transfer_reversal|${rec.acct}|transfer=${rec.id}`),
      `/v1/transfers/${rec.id}/reversals`,
      (r) => r.obj
    ),
  }))

  router.add(
    'POST',
    '/v1/transfers',
    hash(
      {
        amount: int(1),
        currency: str(),
        description: str(),
        destination: str(),
        metadata: meta(),
        source_transaction: str(),
        source_type: str(['bank_account', 'card', 'fpx']),
        transfer_group: str(),
      },
      ['amount', 'currency', 'destination']
    ),
    (ctx) => engine.render(createTransfer(ctx))
  )

  const find = (ctx: Context, id: string) => engine.find(ctx, 'transfer', id, 'transfer')

  router.add('GET', '/v1/transfers/:id', hash({}), (ctx) => engine.render(find(ctx, ctx.path.id)))

  router.add('POST', '/v1/transfers/:id', hash({ description: str(), metadata: meta() }), (ctx) => {
    const transfer = find(ctx, ctx.path.id)
    const before = snapshot(engine.render(transfer))
    if ('description' in ctx.params) {
      transfer.obj.description = ctx.params.description
    }
    transfer.obj.metadata = applyMetadata(transfer.obj.metadata, ctx.params.metadata)
    const previous = previousAttributes(before, engine.render(transfer))
    if (previous) {
      engine.emitFor(transfer, 'transfer.updated', previous)
    }
    engine.markDirty()
    return engine.render(transfer)
  })

  router.add(
    'GET',
    '/v1/transfers',
    hash({ ...LIST_PARAMS, destination: str(), transfer_group: str() }),
    (ctx) => {
      const { destination, transfer_group: group } = ctx.params
      let key = `transfer|${ctx.account}`
      let filter: ((rec: Rec) => boolean) | undefined
      if (destination) {
        key += `|destination=${destination}`
        filter = group ? (rec) => rec.obj.transfer_group === group : undefined
      } else if (group) {
        key += `|transfer_group=${group}`
      }
      return paginate(engine.store.list(key), ctx.params, {
        store: engine.store,
        url: '/v1/transfers',
        label: 'transfer',
        render: (rec) => engine.render(rec),
        filter,
      })
    }
  )

  router.add(
    'POST',
    '/v1/transfers/:id/reversals',
    hash({
      amount: int(1),
      description: str(),
      metadata: meta(),
      refund_application_fee: bool(),
    }),
    (ctx) => {
      const transfer = find(ctx, ctx.path.id)
      const remaining = remainingTransfer(transfer)
      const amount: number = ctx.params.amount ?? remaining
      if (remaining === 0) {
        throw invalidRequest(`Transfer ${transfer.id} has already been fully reversed.`, {
          param: 'id',
        })
      }
      if (amount > remaining) {
        throw paramError(
          `Reversal amount (${amount}) is greater than the amount of the transfer that has not ` +
            `been reversed (${remaining}).`,
          { code: 'amount_too_large', param: 'amount' }
        )
      }
      const fee = ctx.params.refund_application_fee ? feeOfTransfer(engine, transfer) : undefined
      let feeRefund = 0
      if (fee) {
        feeRefund =
          amount === remaining
            ? remainingFee(fee)
            : Math.min(remainingFee(fee), proportion(fee.obj.amount, amount, transfer.obj.amount))
      }
      assertCanReverse(engine, transfer, amount, feeRefund)
      const { reversal } = reverseTransfer(engine, transfer, amount, {
        description: ctx.params.description ?? null,
        metadata: applyMetadata({}, ctx.params.metadata),
      })
      if (fee && feeRefund > 0) {
        refundApplicationFee(engine, fee, feeRefund)
      }
      return reversal.obj
    }
  )

  router.add('GET', '/v1/transfers/:id/reversals', hash(LIST_PARAMS), (ctx) => {
    const transfer = find(ctx, ctx.path.id)
    return paginate(
      engine.store.list(`transfer_reversal|${ctx.account}|transfer=${transfer.id}`),
      ctx.params,
      {
        store: engine.store,
        url: `/v1/transfers/${transfer.id}/reversals`,
        label: 'transfer reversal',
        render: (rec) => rec.obj,
      }
    )
  })

  const findReversal = (ctx: Context) => {
    const transfer = find(ctx, ctx.path.id)
    const rec = engine.store.get(ctx.path.trr)
    if (!rec || rec.type !== 'transfer_reversal' || rec.obj.transfer !== transfer.id) {
      throw resourceMissing('transfer reversal', ctx.path.trr)
    }
    return rec
  }
  router.add('GET', '/v1/transfers/:id/reversals/:trr', hash({}), (ctx) => findReversal(ctx).obj)
  router.add('POST', '/v1/transfers/:id/reversals/:trr', hash({ metadata: meta() }), (ctx) => {
    const reversal = findReversal(ctx)
    reversal.obj.metadata = applyMetadata(reversal.obj.metadata, ctx.params.metadata)
    engine.markDirty()
    return reversal.obj
  })
}

/** The application fee collected on the payment a transfer created (destination charges). */
export function feeOfTransfer(engine: Engine, transfer: Rec): Rec | undefined {
  const feeId = transfer.x.applicationFee
  return feeId ? engine.store.get(feeId) : undefined
}
