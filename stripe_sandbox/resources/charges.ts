import { type Context } from '../core/context.js'
import { previousAttributes, snapshot } from '../core/diff.js'
import { balanceInsufficient, invalidRequest, paramError } from '../core/errors.js'
import { newId, randomString } from '../core/ids.js'
import { embeddedList, LIST_PARAMS, paginate } from '../core/lists.js'
import { applyMetadata, bool, dict, hash, int, meta, str } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Obj } from '../core/types.js'
import { scheduleTestDispute } from '../disputes/lifecycle.js'
import { type Engine } from '../engine.js'
import { addTxn, balanceOf, CARD_AVAILABILITY_SECONDS, type FeeDetail } from '../ledger.js'
import { assertChargeAmount, assertCurrency, cardFee } from '../money.js'
import { type Decline } from '../test_cards.js'
import { applicationOf, defaultCurrencyOf, findConnected } from './accounts.js'
import { createApplicationFee } from './application_fees.js'
import { cardOf } from './payment_methods.js'
import { moveFunds } from './transfers.js'

/*
 * Charges: the card charge behind a PaymentIntent (authorisation, capture
 * and the money it moves, release of a hold), account debits
 * (`POST /v1/charges` with `source=acct_…`), and the read endpoints.
 */

/** Authorisations lapse after 7 days, as for online card payments. */
export const AUTHORIZATION_SECONDS = 7 * 24 * 60 * 60

/** The fields every charge of a PaymentIntent has, whatever the payment method. */
export function baseCharge(engine: Engine, pi: Rec, pm: Rec): Obj {
  const intent = pi.obj
  const obj: Obj = {
    id: newId('ch'),
    object: 'charge',
    amount: intent.amount,
    amount_captured: 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: intent.application_fee_amount,
    balance_transaction: null,
    billing_details: snapshot(pm.obj.billing_details),
    calculated_statement_descriptor: 'SANDBOX',
    captured: false,
    created: engine.now(),
    currency: intent.currency,
    customer: intent.customer,
    description: intent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    metadata: { ...intent.metadata },
    on_behalf_of: intent.on_behalf_of,
    outcome: null,
    paid: false,
    payment_intent: pi.id,
    payment_method: pm.id,
    payment_method_details: null,
    receipt_email: intent.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: intent.shipping,
    source: null,
    source_transfer: null,
    statement_descriptor: intent.statement_descriptor,
    statement_descriptor_suffix: intent.statement_descriptor_suffix,
    status: 'pending',
    // Charge.transfer_data.amount is null when the whole amount goes (unlike the PI's).
    transfer_data: intent.transfer_data
      ? {
          amount: intent.transfer_data.amount ?? null,
          destination: intent.transfer_data.destination,
        }
      : null,
    transfer_group: intent.transfer_group,
  }
  // `transfer` appears once a destination charge's transfer exists (never as null).
  return obj
}

export function createCardCharge(engine: Engine, pi: Rec, pm: Rec, decline?: Decline): Rec {
  const now = engine.now()
  const card = pm.obj.card
  const intent = pi.obj
  const obj = baseCharge(engine, pi, pm)
  Object.assign(obj, {
    failure_code: decline ? decline.code : null,
    failure_message: decline ? decline.message : null,
    outcome: decline
      ? {
          advice_code: null,
          network_advice_code: null,
          network_decline_code: null,
          network_status: 'declined_by_network',
          reason: decline.declineCode,
          risk_level: 'normal',
          risk_score: 20,
          seller_message: 'The bank did not return any further details with this decline.',
          type: 'issuer_declined',
        }
      : {
          advice_code: null,
          network_advice_code: null,
          network_decline_code: null,
          network_status: 'approved_by_network',
          reason: null,
          risk_level: 'normal',
          risk_score: 20,
          seller_message: 'Payment complete.',
          type: 'authorized',
        },
    paid: !decline,
    status: decline ? 'failed' : 'succeeded',
  })
  const details: Obj = {
    amount_authorized: decline ? null : intent.amount,
    authorization_code: decline ? null : '123456',
    brand: card.brand,
    checks: snapshot(card.checks),
    country: card.country,
    exp_month: card.exp_month,
    exp_year: card.exp_year,
    extended_authorization: { status: 'disabled' },
    fingerprint: card.fingerprint,
    funding: card.funding,
    incremental_authorization: { status: 'unavailable' },
    installments: null,
    last4: card.last4,
    mandate: null,
    multicapture: { status: 'unavailable' },
    network: card.brand,
    network_token: { used: false },
    network_transaction_id: decline ? null : randomString(15),
    overcapture: { maximum_amount_capturable: intent.amount, status: 'unavailable' },
    regulated_status: 'unregulated',
    three_d_secure: null,
    transaction_link_id: null,
    wallet: null,
  }
  if (!decline) {
    // Only an uncaptured authorisation has a deadline; Stripe omits the key otherwise.
    details.capture_before = now + AUTHORIZATION_SECONDS
  }
  obj.payment_method_details = { card: details, type: 'card' }
  return engine.create('charge', pi.acct, pi.plat, obj)
}

/**
 * Captures `amount` of an authorised card charge and moves the money: the
 * charge balance transaction with Stripe's fee on the platform, then for
 * destination charges the transfer (see payDestination). The uncaptured rest
 * is released (shown in amount_refunded).
 */
export function captureCharge(
  engine: Engine,
  charge: Rec,
  amount: number,
  fee: number | null
): { transfer?: Rec; applicationFee?: Rec } {
  const now = engine.now()
  const c = charge.obj
  const pm = engine.store.get(c.payment_method)
  const bypass = pm ? cardOf(pm).bypassPending : false
  const availableOn = bypass ? now : now + CARD_AVAILABILITY_SECONDS
  const stripeFee = cardFee(amount, c.currency)
  const txn = addTxn(engine, charge.acct, charge.plat, {
    amount,
    currency: c.currency,
    type: 'charge',
    reportingCategory: 'charge',
    source: charge.id,
    description: c.description,
    fee: stripeFee,
    feeDetails: [stripeFeeDetail(stripeFee, c.currency)],
    availableOn,
  })
  c.captured = true
  c.amount_captured = amount
  c.amount_refunded = c.amount - amount
  c.balance_transaction = txn.id
  delete c.payment_method_details.card.capture_before
  // Dispute test cards: the captured charge is disputed on the sandbox clock.
  scheduleTestDispute(engine, charge, pm?.x.card)
  return payDestination(engine, charge, amount, fee, availableOn)
}

export function stripeFeeDetail(amount: number, currency: string): FeeDetail {
  return {
    amount,
    application: null,
    currency,
    description: 'Stripe processing fees',
    type: 'stripe_fee',
  }
}

/**
 * A destination charge that succeeded pays its destination: a `tr_`
 * transfer (all of `amount`, or transfer_data[amount]), the connected
 * account's `py_` payment, and the application fee taken from it.
 */
export function payDestination(
  engine: Engine,
  charge: Rec,
  amount: number,
  fee: number | null,
  availableOn: number
): { transfer?: Rec; applicationFee?: Rec } {
  const c = charge.obj
  const destinationId: string | undefined = c.transfer_data?.destination
  if (!destinationId) {
    return {}
  }
  const destination = engine.store.get(destinationId)!
  const platform = engine.store.get(charge.plat)!
  const transferAmount =
    c.transfer_data.amount !== null && c.transfer_data.amount !== undefined
      ? Math.min(c.transfer_data.amount, amount)
      : amount
  const collected = fee === null ? 0 : Math.min(fee, transferAmount)
  c.application_fee_amount = fee === null ? null : collected
  c.transfer_group ??= `group_${c.payment_intent}`
  engine.store.reindex(charge)
  const application = applicationOf(engine, charge.plat)
  const { transfer, payment } = moveFunds(engine, {
    from: platform,
    to: destination,
    amount: transferAmount,
    currency: c.currency,
    sourceTransaction: charge.id,
    transferGroup: c.transfer_group,
    availableOn,
    applicationFee: collected > 0 ? { amount: collected, application } : undefined,
  })
  transfer.x.destinationCharge = true
  c.transfer = transfer.id
  if (collected <= 0) {
    return { transfer }
  }
  const applicationFee = createApplicationFee(engine, {
    plat: charge.plat,
    account: destination.id,
    amount: collected,
    currency: c.currency,
    payment: payment.id,
    originatingCharge: charge.id,
    availableOn,
  })
  c.application_fee = applicationFee.id
  payment.obj.application_fee = applicationFee.id
  transfer.x.applicationFee = applicationFee.id
  return { transfer, applicationFee }
}

/**
 * Releases an uncaptured authorisation (cancel or expiry): the charge is
 * marked refunded through a refund with no balance transaction, since no
 * money had moved.
 */
export function releaseCharge(engine: Engine, charge: Rec, reason: string | null): Rec {
  const c = charge.obj
  const amount = c.amount - c.amount_refunded
  const refund = engine.create('refund', charge.acct, charge.plat, {
    id: newId('re'),
    object: 'refund',
    amount,
    balance_transaction: null,
    charge: charge.id,
    created: engine.now(),
    currency: c.currency,
    customer: c.customer,
    customer_account: null,
    destination_details: { card: { type: 'reversal' }, type: 'card' },
    metadata: {},
    payment_intent: c.payment_intent,
    payment_method: c.payment_method,
    reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  })
  c.amount_refunded = c.amount
  c.refunded = true
  delete c.payment_method_details.card.capture_before
  return refund
}

function accountDebit(ctx: Context): Rec {
  const engine = ctx.engine
  const params = ctx.params
  if (ctx.connected) {
    throw invalidRequest('Account debits are made by the platform, without Stripe-Account.', {
      param: 'source',
    })
  }
  const currency = assertCurrency(params.currency)
  assertChargeAmount(params.amount, currency)
  const account = findConnected(ctx, params.source, 'source')
  const accountCurrency = defaultCurrencyOf(engine, account.id)
  if (currency !== accountCurrency) {
    throw invalidRequest(
      `Account debits must be in the connected account's default currency (${accountCurrency}).`,
      { param: 'currency' }
    )
  }
  const { available } = balanceOf(engine, account.id, currency)
  if (available < params.amount) {
    throw balanceInsufficient(
      `The connected account ${account.id} has insufficient available funds for this debit: ` +
        `its available balance is ${available} ${currency}, the debit is ${params.amount} ` +
        `${currency}. Nothing was charged.`
    )
  }
  const { transfer, payment } = moveFunds(engine, {
    from: account,
    to: engine.store.get(ctx.platform)!,
    amount: params.amount,
    currency,
    sourceTransaction: null,
    transferGroup: params.transfer_group ?? null,
    description: params.description ?? null,
    availableOn: engine.now(),
  })
  payment.obj.metadata = applyMetadata({}, params.metadata)
  payment.obj.statement_descriptor = params.statement_descriptor ?? null
  engine.emitFor(transfer, 'transfer.created')
  engine.emitFor(payment, 'charge.succeeded')
  return payment
}

export function registerCharges(engine: Engine): void {
  const router = engine.router
  engine.setIndexer('charge', (rec) => {
    const keys: string[] = []
    const c = rec.obj
    if (c.payment_intent) {
      keys.push(`payment_intent=${c.payment_intent}`)
    }
    if (c.customer) {
      keys.push(`customer=${c.customer}`)
    }
    if (c.transfer_group) {
      keys.push(`transfer_group=${c.transfer_group}`)
    }
    return keys
  })
  engine.setIndexer('refund', (rec) => {
    const keys = [`charge=${rec.obj.charge}`]
    if (rec.obj.payment_intent) {
      keys.push(`payment_intent=${rec.obj.payment_intent}`)
    }
    return keys
  })
  engine.setRenderer('charge', (rec) => ({
    ...rec.obj,
    refunds: embeddedList(
      engine.store.list(`refund|${rec.acct}|charge=${rec.id}`),
      `/v1/charges/${rec.id}/refunds`,
      (r) => r.obj
    ),
  }))

  router.add(
    'POST',
    '/v1/charges',
    hash(
      {
        amount: int(1),
        currency: str(),
        source: str(),
        customer: str(),
        capture: bool(),
        description: str(),
        metadata: meta(),
        statement_descriptor: str(),
        statement_descriptor_suffix: str(),
        transfer_group: str(),
        shipping: dict(),
        receipt_email: str(),
      },
      ['amount', 'currency']
    ),
    (ctx) => {
      const source: string | undefined = ctx.params.source
      if (!source?.startsWith('acct_')) {
        throw paramError(
          'The Stripe sandbox supports POST /v1/charges only for account debits ' +
            '(source=acct_…). Use PaymentIntents for card payments.',
          { param: 'source' }
        )
      }
      return engine.render(accountDebit(ctx))
    }
  )

  const find = (ctx: Context, id: string) => engine.find(ctx, 'charge', id, 'charge')

  router.add('GET', '/v1/charges/:id', hash({}), (ctx) => engine.render(find(ctx, ctx.path.id)))

  router.add(
    'POST',
    '/v1/charges/:id',
    hash({
      description: str(),
      metadata: meta(),
      receipt_email: str(),
      shipping: dict(),
      transfer_group: str(),
      fraud_details: dict(),
    }),
    (ctx) => {
      const charge = find(ctx, ctx.path.id)
      const before = snapshot(charge.obj)
      const { metadata, transfer_group: group, fraud_details: fraud, ...rest } = ctx.params
      if (group !== undefined && charge.obj.transfer_group && group !== charge.obj.transfer_group) {
        throw invalidRequest('The transfer_group of a charge can only be set once.', {
          param: 'transfer_group',
        })
      }
      Object.assign(charge.obj, rest)
      if (group !== undefined) {
        charge.obj.transfer_group = group
      }
      if (fraud) {
        charge.obj.fraud_details = { ...charge.obj.fraud_details, ...fraud }
      }
      charge.obj.metadata = applyMetadata(charge.obj.metadata, metadata)
      engine.store.reindex(charge)
      const previous = previousAttributes(before, charge.obj)
      if (previous) {
        engine.emitFor(charge, 'charge.updated', previous)
      }
      engine.markDirty()
      return engine.render(charge)
    }
  )

  router.add(
    'GET',
    '/v1/charges',
    hash({ ...LIST_PARAMS, payment_intent: str(), customer: str(), transfer_group: str() }),
    (ctx) => {
      const { payment_intent: pi, customer, transfer_group: group } = ctx.params
      let key = `charge|${ctx.account}`
      if (pi) {
        key += `|payment_intent=${pi}`
      } else if (customer) {
        key += `|customer=${customer}`
      } else if (group) {
        key += `|transfer_group=${group}`
      }
      const filter = (rec: Rec) =>
        (!customer || rec.obj.customer === customer) && (!group || rec.obj.transfer_group === group)
      return paginate(engine.store.list(key), ctx.params, {
        store: engine.store,
        url: '/v1/charges',
        label: 'charge',
        render: (rec) => engine.render(rec),
        filter,
      })
    }
  )

  router.add('GET', '/v1/charges/:id/refunds', hash(LIST_PARAMS), (ctx) => {
    const charge = find(ctx, ctx.path.id)
    return paginate(engine.store.list(`refund|${ctx.account}|charge=${charge.id}`), ctx.params, {
      store: engine.store,
      url: `/v1/charges/${charge.id}/refunds`,
      label: 'refund',
      render: (rec) => rec.obj,
    })
  })
}
