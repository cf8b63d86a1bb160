import { type Context } from '../core/context.js'
import { previousAttributes, snapshot } from '../core/diff.js'
import { invalidRequest, paramError, unexpectedState } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { LIST_PARAMS, paginate } from '../core/lists.js'
import { applyMetadata, bool, hash, int, meta, str } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { assertRefundAllowed } from '../disputes/lifecycle.js'
import { type Engine } from '../engine.js'
import { addTxn } from '../ledger.js'
import { formatAmount, proportion } from '../money.js'
import { refundApplicationFee, remainingFee } from './application_fees.js'
import { assertCanReverse, remainingTransfer, reverseTransfer } from './transfers.js'

/*
 * Refunds of captured charges. For destination charges `reverse_transfer`
 * and `refund_application_fee` pull back a proportional share from the
 * connected account and give back the platform's fee (§6).
 */

function resolveCharge(ctx: Context): Rec {
  const engine = ctx.engine
  const { charge: chargeId, payment_intent: piId } = ctx.params
  if (!chargeId && !piId) {
    throw paramError(
      'One of the following params should be provided for this request: charge or payment_intent.',
      {
        code: 'parameter_missing',
        param: 'charge',
      }
    )
  }
  let charge: Rec | undefined
  if (piId) {
    const pi = engine.find(ctx, 'payment_intent', piId, 'payment_intent', 'payment_intent')
    const latest = pi.obj.latest_charge ? engine.store.get(pi.obj.latest_charge) : undefined
    if (!latest || latest.obj.status !== 'succeeded' || !latest.obj.captured) {
      throw unexpectedState(
        `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
        { payment_intent: snapshot(engine.render(pi)) }
      )
    }
    charge = latest
  }
  if (chargeId) {
    const byId = engine.find(ctx, 'charge', chargeId, 'charge', 'charge')
    if (charge && charge.id !== byId.id) {
      throw paramError(`Charge ${chargeId} does not belong to PaymentIntent ${piId}.`, {
        param: 'charge',
      })
    }
    charge = byId
  }
  const c = charge!.obj
  if (c.status !== 'succeeded') {
    throw invalidRequest(`Charge ${charge!.id} has not succeeded and cannot be refunded.`, {
      param: 'charge',
    })
  }
  if (!c.captured) {
    throw invalidRequest(
      `Charge ${charge!.id} has not been captured. Cancel its PaymentIntent to release the ` +
        'authorization instead.',
      { param: 'charge' }
    )
  }
  return charge!
}

function createRefund(ctx: Context): Rec {
  const engine = ctx.engine
  const params = ctx.params
  const charge = resolveCharge(ctx)
  assertRefundAllowed(engine, charge)
  const c = charge.obj
  const refundable = c.amount - c.amount_refunded
  if (refundable <= 0) {
    throw invalidRequest(`Charge ${charge.id} has already been refunded.`, {
      code: 'charge_already_refunded',
      param: 'charge',
    })
  }
  const amount: number = params.amount ?? refundable
  if (amount > refundable) {
    throw invalidRequest(
      `Refund amount (${formatAmount(amount, c.currency)}) is greater than unrefunded amount ` +
        `on charge (${formatAmount(refundable, c.currency)})`,
      { code: 'amount_too_large', param: 'amount' }
    )
  }
  const sourceTransfer = c.source_transfer ? engine.store.get(c.source_transfer) : undefined
  if (sourceTransfer) {
    return refundPayment(engine, charge, sourceTransfer, amount)
  }

  const transfer = c.transfer ? engine.store.get(c.transfer) : undefined
  const fee = c.application_fee ? engine.store.get(c.application_fee) : undefined
  if (params.reverse_transfer && !transfer) {
    throw paramError(`Charge ${charge.id} has no transfer to reverse.`, {
      param: 'reverse_transfer',
    })
  }
  // A refund of everything that is left settles the remainders exactly (no rounding drift).
  const last = amount === refundable
  let reversal = 0
  if (params.reverse_transfer && transfer) {
    const share = proportion(transfer.obj.amount, amount, c.amount_captured)
    reversal = last ? remainingTransfer(transfer) : Math.min(remainingTransfer(transfer), share)
  }
  let feeRefund = 0
  if (params.refund_application_fee && fee) {
    const share = proportion(fee.obj.amount, amount, c.amount_captured)
    feeRefund = last ? remainingFee(fee) : Math.min(remainingFee(fee), share)
  }
  if (reversal > 0) {
    assertCanReverse(engine, transfer!, reversal, feeRefund)
  }

  const id = newId('re')
  const bank = c.payment_method_details?.type === 'us_bank_account'
  const txn = addTxn(engine, charge.acct, charge.plat, {
    amount: -amount,
    currency: c.currency,
    // A bank debit settled as a `payment`, so its refund is a `payment_refund` (§9).
    type: bank ? 'payment_refund' : 'refund',
    reportingCategory: 'refund',
    source: id,
    description: 'REFUND FOR CHARGE',
  })
  const refund = engine.create('refund', charge.acct, charge.plat, {
    id,
    object: 'refund',
    amount,
    balance_transaction: txn.id,
    charge: charge.id,
    created: engine.now(),
    currency: c.currency,
    customer: c.customer,
    customer_account: null,
    // No reference yet: Stripe omits `reference` until the network gives one.
    destination_details: bank
      ? {
          type: 'us_bank_transfer',
          us_bank_transfer: { reference: null, reference_status: 'pending' },
        }
      : {
          card: {
            reference_status: 'pending',
            reference_type: 'acquirer_reference_number',
            type: 'refund',
          },
          type: 'card',
        },
    metadata: applyMetadata({}, params.metadata),
    payment_intent: c.payment_intent,
    payment_method: c.payment_method,
    reason: params.reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  })
  const before = snapshot(engine.render(charge))
  c.amount_refunded += amount
  c.refunded = c.amount_refunded >= c.amount
  engine.emitFor(refund, 'refund.created')
  engine.emitFor(charge, 'charge.refunded', previousAttributes(before, engine.render(charge)))
  if (reversal > 0) {
    const result = reverseTransfer(engine, transfer!, reversal, { sourceRefund: id })
    refund.obj.transfer_reversal = result.reversal.id
  }
  if (feeRefund > 0) {
    refundApplicationFee(engine, fee!, feeRefund)
  }
  return refund
}

/**
 * Refunding a `py_` payment received by transfer (an account debit on the
 * platform) reverses that transfer: the money goes back to the sender.
 */
function refundPayment(engine: Engine, payment: Rec, transfer: Rec, amount: number): Rec {
  if (transfer.acct === payment.plat) {
    throw invalidRequest(
      `${payment.id} was created by transfer ${transfer.id}; reverse the transfer on the ` +
        'platform (POST /v1/transfers/{id}/reversals) instead of refunding the payment.',
      { param: 'charge' }
    )
  }
  const before = snapshot(engine.render(payment))
  const { paymentRefund } = reverseTransfer(engine, transfer, amount, {})
  engine.emitFor(paymentRefund, 'refund.created')
  engine.emitFor(payment, 'charge.refunded', previousAttributes(before, engine.render(payment)))
  return paymentRefund
}

export function registerRefunds(engine: Engine): void {
  const router = engine.router

  router.add(
    'POST',
    '/v1/refunds',
    hash({
      amount: int(1),
      charge: str(),
      payment_intent: str(),
      reason: str(['duplicate', 'fraudulent', 'requested_by_customer']),
      metadata: meta(),
      reverse_transfer: bool(),
      refund_application_fee: bool(),
      instructions_email: str(),
      origin: str(['customer_balance']),
    }),
    (ctx) => createRefund(ctx).obj
  )

  const find = (ctx: Context, id: string) => engine.find(ctx, 'refund', id, 'refund')

  router.add('GET', '/v1/refunds/:id', hash({}), (ctx) => find(ctx, ctx.path.id).obj)

  router.add('POST', '/v1/refunds/:id', hash({ metadata: meta() }), (ctx) => {
    const refund = find(ctx, ctx.path.id)
    const before = snapshot(refund.obj)
    refund.obj.metadata = applyMetadata(refund.obj.metadata, ctx.params.metadata)
    const previous = previousAttributes(before, refund.obj)
    if (previous) {
      engine.emitFor(refund, 'refund.updated', previous)
    }
    engine.markDirty()
    return refund.obj
  })

  router.add('POST', '/v1/refunds/:id/cancel', hash({}), (ctx) => {
    const refund = find(ctx, ctx.path.id)
    throw invalidRequest(
      `Refund ${refund.id} has a status of ${refund.obj.status}; only refunds that are pending ` +
        'or require action can be canceled.',
      { param: 'refund' }
    )
  })

  router.add(
    'GET',
    '/v1/refunds',
    hash({ ...LIST_PARAMS, charge: str(), payment_intent: str() }),
    (ctx) => {
      const { charge, payment_intent: pi } = ctx.params
      let key = `refund|${ctx.account}`
      if (charge) {
        key += `|charge=${charge}`
      } else if (pi) {
        key += `|payment_intent=${pi}`
      }
      return paginate(engine.store.list(key), ctx.params, {
        store: engine.store,
        url: '/v1/refunds',
        label: 'refund',
        render: (rec) => rec.obj,
        filter: charge && pi ? (rec) => rec.obj.payment_intent === pi : undefined,
      })
    }
  )
}
