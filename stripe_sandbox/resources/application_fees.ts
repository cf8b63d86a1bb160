import { snapshot } from '../core/diff.js'
import { invalidRequest, resourceMissing } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { embeddedList, LIST_PARAMS, paginate } from '../core/lists.js'
import { applyMetadata, hash, int, meta, str } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Obj } from '../core/types.js'
import { type Engine } from '../engine.js'
import { addTxn } from '../ledger.js'
import { applicationOf } from './accounts.js'

/*
 * Application fees (`fee_…`) collected by the platform on destination
 * charges, and their refunds (`fr_…`), which move money back from the
 * platform to the connected account.
 */

export interface FeeInput {
  plat: string
  account: string
  amount: number
  currency: string
  /** the connected account's `py_` payment */
  payment: string
  /** the platform's `ch_` charge */
  originatingCharge: string
  availableOn: number
}

export function createApplicationFee(engine: Engine, input: FeeInput): Rec {
  const id = newId('fee')
  const txn = addTxn(engine, input.plat, input.plat, {
    amount: input.amount,
    currency: input.currency,
    type: 'application_fee',
    reportingCategory: 'platform_earning',
    source: id,
    description: null,
    availableOn: input.availableOn,
  })
  const obj: Obj = {
    id,
    object: 'application_fee',
    account: input.account,
    amount: input.amount,
    amount_refunded: 0,
    application: applicationOf(engine, input.plat),
    balance_transaction: txn.id,
    charge: input.payment,
    created: engine.now(),
    currency: input.currency,
    fee_source: { charge: input.originatingCharge, type: 'charge' },
    livemode: false,
    originating_transaction: input.originatingCharge,
    refunded: false,
  }
  // The caller announces it (application_fee.created) once the capture is complete.
  return engine.create('application_fee', input.plat, input.plat, obj)
}

/** Refunds part of an application fee: platform −amount, connected account +amount. */
export function refundApplicationFee(
  engine: Engine,
  fee: Rec,
  amount: number,
  metadata: Record<string, string> = {}
): Rec {
  const id = newId('fr')
  const platformTxn = addTxn(engine, fee.acct, fee.plat, {
    amount: -amount,
    currency: fee.obj.currency,
    type: 'application_fee_refund',
    reportingCategory: 'platform_earning_refund',
    source: id,
    description: 'Application fee refund',
  })
  addTxn(engine, fee.obj.account, fee.plat, {
    amount,
    currency: fee.obj.currency,
    type: 'application_fee_refund',
    reportingCategory: 'fee',
    source: id,
    description: 'Application fee refund',
  })
  const refund = engine.create('fee_refund', fee.acct, fee.plat, {
    id,
    object: 'fee_refund',
    amount,
    balance_transaction: platformTxn.id,
    created: engine.now(),
    currency: fee.obj.currency,
    fee: fee.id,
    metadata,
  })
  const before = { amount_refunded: fee.obj.amount_refunded, refunded: fee.obj.refunded }
  fee.obj.amount_refunded += amount
  fee.obj.refunded = fee.obj.amount_refunded >= fee.obj.amount
  const previous =
    fee.obj.refunded === before.refunded ? { amount_refunded: before.amount_refunded } : before
  engine.emitFor(fee, 'application_fee.refunded', previous)
  return refund
}

export function remainingFee(fee: Rec): number {
  return fee.obj.amount - fee.obj.amount_refunded
}

export function registerApplicationFees(engine: Engine): void {
  const router = engine.router
  engine.setIndexer('application_fee', (rec) => [`charge=${rec.obj.charge}`])
  engine.setIndexer('fee_refund', (rec) => [`fee=${rec.obj.fee}`])
  engine.setRenderer('application_fee', (rec) => ({
    ...rec.obj,
    refunds: embeddedList(
      engine.store.list(`fee_refund|${rec.acct}|fee=${rec.id}`),
      `/v1/application_fees/${rec.id}/refunds`,
      (r) => r.obj
    ),
  }))

  const find = (account: string, id: string) => {
    const rec = engine.store.get(id)
    if (!rec || rec.type !== 'application_fee' || rec.acct !== account) {
      throw resourceMissing('application fee', id)
    }
    return rec
  }

  router.add('GET', '/v1/application_fees/:id', hash({}), (ctx) =>
    engine.render(find(ctx.account, ctx.path.id))
  )

  router.add('GET', '/v1/application_fees', hash({ ...LIST_PARAMS, charge: str() }), (ctx) => {
    const charge = ctx.params.charge
    // `charge` may name the platform charge or the connected payment.
    const filter = charge
      ? (rec: Rec) => rec.obj.charge === charge || rec.obj.originating_transaction === charge
      : undefined
    return paginate(engine.store.list(`application_fee|${ctx.account}`), ctx.params, {
      store: engine.store,
      url: '/v1/application_fees',
      label: 'application fee',
      render: (rec) => engine.render(rec),
      filter,
    })
  })

  router.add(
    'POST',
    '/v1/application_fees/:id/refunds',
    hash({ amount: int(1), metadata: meta() }),
    (ctx) => {
      const fee = find(ctx.account, ctx.path.id)
      const remaining = remainingFee(fee)
      const amount = ctx.params.amount ?? remaining
      if (remaining === 0) {
        throw invalidRequest(`Application fee ${fee.id} has already been refunded.`, {
          param: 'id',
        })
      }
      if (amount > remaining) {
        throw invalidRequest(
          `Refund amount (${amount}) is greater than the unrefunded amount on the application ` +
            `fee (${remaining}).`,
          { code: 'amount_too_large', param: 'amount' }
        )
      }
      return refundApplicationFee(engine, fee, amount, applyMetadata({}, ctx.params.metadata)).obj
    }
  )

  router.add('GET', '/v1/application_fees/:id/refunds', hash(LIST_PARAMS), (ctx) => {
    const fee = find(ctx.account, ctx.path.id)
    return paginate(engine.store.list(`fee_refund|${ctx.account}|fee=${fee.id}`), ctx.params, {
      store: engine.store,
      url: `/v1/application_fees/${fee.id}/refunds`,
      label: 'fee refund',
      render: (rec) => rec.obj,
    })
  })

  const findRefund = (account: string, feeId: string, id: string) => {
    const rec = engine.store.get(id)
    if (!rec || rec.type !== 'fee_refund' || rec.acct !== account || rec.obj.fee !== feeId) {
      throw resourceMissing('fee refund', id)
    }
    return rec
  }
  router.add(
    'GET',
    '/v1/application_fees/:id/refunds/:fr',
    hash({}),
    (ctx) => findRefund(ctx.account, ctx.path.id, ctx.path.fr).obj
  )
  router.add('POST', '/v1/application_fees/:id/refunds/:fr', hash({ metadata: meta() }), (ctx) => {
    const refund = findRefund(ctx.account, ctx.path.id, ctx.path.fr)
    refund.obj.metadata = applyMetadata(refund.obj.metadata, ctx.params.metadata)
    engine.markDirty()
    return snapshot(refund.obj)
  })
}
