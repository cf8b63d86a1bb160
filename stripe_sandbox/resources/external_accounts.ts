import { type Context } from '../core/context.js'
import { previousAttributes, snapshot } from '../core/diff.js'
import { invalidRequest, paramError, resourceMissing } from '../core/errors.js'
import { newId, randomString } from '../core/ids.js'
import { LIST_PARAMS, paginate } from '../core/lists.js'
import { applyMetadata, bool, hash, meta, str, strOrHash } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Obj, type Params } from '../core/types.js'
import { type Engine } from '../engine.js'
import { bankSpec } from './account_params.js'
import { findConnected, refreshAccount } from './accounts.js'

/*
 * External accounts of connected accounts: US bank accounts (`ba_…`),
 * given as a hash or a `btok_…` test token. Only the last 4 digits of the
 * account number are kept; Stripe's failing test account numbers are
 * remembered so payouts to them fail.
 */

const PAYOUT_FAILURES: Record<string, string> = {
  '000111111116': 'no_account',
  '000111111113': 'account_closed',
  '000222222227': 'insufficient_funds',
  '000333333335': 'debit_not_authorized',
  '000444444440': 'invalid_currency',
}

export interface BankInput {
  country: string
  currency: string
  routingNumber: string
  accountNumber: string
  holderName: string | null
  holderType: string | null
  metadata: Record<string, string>
  defaultForCurrency: boolean | undefined
}

/** A US routing number: 9 digits with a valid ABA checksum (110000000 is Stripe's test bank). */
export function validRouting(routing: string): boolean {
  if (!/^\d{9}$/.test(routing)) {
    return false
  }
  const d = [...routing].map(Number)
  const sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
  return sum % 10 === 0
}

/** Validates an `external_account` parameter (token or hash) without creating anything. */
export function parseBankInput(value: string | Params, param: string): BankInput {
  if (typeof value === 'string') {
    if (value.startsWith('btok_')) {
      return {
        country: 'US',
        currency: 'usd',
        routingNumber: '110000000',
        accountNumber: '000123456789',
        holderName: null,
        holderType: 'individual',
        metadata: {},
        defaultForCurrency: undefined,
      }
    }
    if (value.startsWith('tok_')) {
      throw paramError(
        'The Stripe sandbox supports bank accounts as external accounts, not debit cards.',
        { param }
      )
    }
    throw resourceMissing('token', value, param)
  }
  const country = (value.country ?? 'US').toUpperCase()
  const currency = (value.currency ?? 'usd').toLowerCase()
  if (!value.account_number) {
    throw paramError(`Missing required param: ${param}[account_number].`, {
      code: 'parameter_missing',
      param: `${param}[account_number]`,
    })
  }
  if (country !== 'US' || currency !== 'usd') {
    throw paramError('The Stripe sandbox supports US bank accounts in usd only.', {
      param: `${param}[country]`,
    })
  }
  const routing = value.routing_number ?? ''
  if (!validRouting(routing)) {
    throw invalidRequest(`Invalid routing number: ${routing || '(missing)'}`, {
      code: 'routing_number_invalid',
      param: `${param}[routing_number]`,
    })
  }
  if (!/^\d{4,17}$/.test(value.account_number)) {
    throw invalidRequest('Invalid account number: must be 4 to 17 digits', {
      code: 'account_number_invalid',
      param: `${param}[account_number]`,
    })
  }
  return {
    country,
    currency,
    routingNumber: routing,
    accountNumber: value.account_number,
    holderName: value.account_holder_name ?? null,
    holderType: value.account_holder_type ?? null,
    metadata: applyMetadata({}, value.metadata),
    defaultForCurrency: value.default_for_currency ?? undefined,
  }
}

export function banksOf(engine: Engine, acct: string): readonly Rec[] {
  return engine.store.list(`bank_account|${acct}`)
}

/** Creates a `ba_…` (the full account number is never stored, only its last 4 digits). */
export function createBank(engine: Engine, account: Rec, input: BankInput): Rec {
  const existing = banksOf(engine, account.id).filter((b) => b.obj.currency === input.currency)
  const isDefault = existing.length === 0 || input.defaultForCurrency === true
  if (isDefault) {
    for (const other of existing) {
      other.obj.default_for_currency = false
    }
  }
  const bank: Obj = {
    id: newId('ba'),
    object: 'bank_account',
    account: account.id,
    account_holder_name: input.holderName,
    account_holder_type: input.holderType,
    account_type: null,
    available_payout_methods: ['standard'],
    bank_name: input.routingNumber === '110000000' ? 'STRIPE TEST BANK' : 'SANDBOX BANK',
    country: input.country,
    currency: input.currency,
    customer: null,
    default_for_currency: isDefault,
    // Random, not derived from the number: nothing that could give the number back is kept.
    fingerprint: randomString(16),
    last4: input.accountNumber.slice(-4),
    metadata: input.metadata,
    routing_number: input.routingNumber,
    status: 'new',
  }
  return engine.create('bank_account', account.id, account.plat, bank, {
    payoutFailure: PAYOUT_FAILURES[input.accountNumber] ?? null,
  })
}

/** The external account payouts go to by default for a currency. */
export function defaultBank(engine: Engine, acct: string, currency: string): Rec | undefined {
  return banksOf(engine, acct).find(
    (b) => b.obj.currency === currency && b.obj.default_for_currency
  )
}

export function registerExternalAccounts(engine: Engine): void {
  const router = engine.router
  const render = (rec: Rec) => engine.render(rec)

  router.add(
    'POST',
    '/v1/accounts/:id/external_accounts',
    hash(
      {
        external_account: strOrHash(bankSpec),
        default_for_currency: bool(),
        metadata: meta(),
      },
      ['external_account']
    ),
    (ctx) => {
      const account = findConnected(ctx, ctx.path.id)
      const input = parseBankInput(ctx.params.external_account, 'external_account')
      if (ctx.params.default_for_currency !== undefined) {
        input.defaultForCurrency = ctx.params.default_for_currency
      }
      input.metadata = applyMetadata(input.metadata, ctx.params.metadata)
      const before = snapshot(render(account))
      const bank = createBank(engine, account, input)
      engine.emitFor(bank, 'account.external_account.created')
      refreshAccount(engine, account, before)
      return bank.obj
    }
  )
  router.add(
    'GET',
    '/v1/accounts/:id/external_accounts',
    hash({
      ...LIST_PARAMS,
      object: str(['bank_account', 'card']),
    }),
    (ctx) => {
      const account = findConnected(ctx, ctx.path.id)
      return paginate(banksOf(engine, account.id), ctx.params, {
        store: engine.store,
        url: `/v1/accounts/${account.id}/external_accounts`,
        label: 'external account',
        render: (rec) => rec.obj,
        filter: (rec) => !ctx.params.object || rec.obj.object === ctx.params.object,
      })
    }
  )
  const findBank = (ctx: Context): [Rec, Rec] => {
    const account = findConnected(ctx, ctx.path.id)
    const bank = engine.store.get(ctx.path.ba)
    if (!bank || bank.type !== 'bank_account' || bank.acct !== account.id || bank.deleted) {
      throw resourceMissing('external account', ctx.path.ba)
    }
    return [account, bank]
  }
  router.add(
    'GET',
    '/v1/accounts/:id/external_accounts/:ba',
    hash({}),
    (ctx) => findBank(ctx)[1].obj
  )
  router.add(
    'POST',
    '/v1/accounts/:id/external_accounts/:ba',
    hash({
      account_holder_name: str(),
      account_holder_type: str(['individual', 'company']),
      default_for_currency: bool(),
      metadata: meta(),
    }),
    (ctx) => {
      const [account, bank] = findBank(ctx)
      const before = snapshot(bank.obj)
      const { metadata, default_for_currency: makeDefault, ...rest } = ctx.params
      Object.assign(bank.obj, rest)
      bank.obj.metadata = applyMetadata(bank.obj.metadata, metadata)
      if (makeDefault === true) {
        for (const other of banksOf(engine, account.id)) {
          other.obj.default_for_currency = other === bank
        }
      }
      engine.emitFor(bank, 'account.external_account.updated', previousAttributes(before, bank.obj))
      engine.markDirty()
      return bank.obj
    }
  )
  router.add('DELETE', '/v1/accounts/:id/external_accounts/:ba', hash({}), (ctx) => {
    const [account, bank] = findBank(ctx)
    if (bank.obj.default_for_currency && banksOf(engine, account.id).length > 1) {
      throw invalidRequest(
        'You cannot delete the default external account for your default currency. Please make ' +
          'another external account the default using the `default_for_currency` param, and ' +
          'then delete this one.',
        { param: 'id' }
      )
    }
    const before = snapshot(render(account))
    bank.deleted = true
    engine.store.reindex(bank)
    engine.emitFor(bank, 'account.external_account.deleted')
    refreshAccount(engine, account, before)
    return { id: bank.id, object: 'bank_account', deleted: true }
  })
}
