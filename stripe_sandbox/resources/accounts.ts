import { type Context } from '../core/context.js'
import { previousAttributes, snapshot } from '../core/diff.js'
import { invalidRequest, paramError, resourceMissing } from '../core/errors.js'
import { newId, stableString } from '../core/ids.js'
import { embeddedList, LIST_PARAMS, paginate } from '../core/lists.js'
import { applyMetadata, bool, hash } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Obj, type Params } from '../core/types.js'
import { type Engine } from '../engine.js'
import { accountParams, CAPABILITIES, createParams } from './account_params.js'
import { banksOf, type BankInput, createBank, parseBankInput } from './external_accounts.js'
import { registerPersons } from './persons.js'
import {
  type CheckName,
  computeRequirements,
  emptyChecks,
  MAGIC_FILES,
  resolveCheck,
  startChecks,
} from '../verification.js'
import { settingsOf } from '../settings.js'

/*
 * Accounts: the platform account behind each API key, and the Custom
 * connected accounts it creates (requirements, verification, capabilities;
 * bank accounts are in external_accounts.ts).
 */

// ---- platform accounts -------------------------------------------------------------

const platformIds = new Map<string, string>()

/** One platform account per API key, with an id derived from the key (stable across runs). */
export function platformForKey(engine: Engine, key: string): string {
  let id = platformIds.get(key)
  if (!id) {
    id = `acct_${stableString(key, 16)}`
    platformIds.set(key, id)
  }
  if (!engine.store.get(id)) {
    createPlatform(engine, id)
  }
  return id
}

function createPlatform(engine: Engine, id: string): void {
  const account = baseAccount(id, engine.now())
  Object.assign(account, {
    business_profile: { ...account.business_profile, name: 'Sandbox platform', mcc: '7299' },
    business_type: 'company',
    capabilities: { card_payments: 'active', transfers: 'active' },
    charges_enabled: true,
    controller: { type: 'account' },
    details_submitted: true,
    email: 'platform@sandbox.invalid',
    payouts_enabled: true,
    type: 'standard',
  })
  account.settings.dashboard.display_name = 'Sandbox platform'
  engine.create('account', id, id, account, {
    platform: true,
    application: `ca_${stableString(`app:${id}`, 24)}`,
  })
}

/** The Connect application id (`ca_…`) of a platform, used on application fees. */
export function applicationOf(engine: Engine, plat: string): string {
  return engine.store.get(plat)?.x.application ?? null
}

export function defaultCurrencyOf(engine: Engine, acct: string): string {
  return engine.store.get(acct)?.obj.default_currency ?? 'usd'
}

/** A connected account of the request's platform (404/400 otherwise). */
export function findConnected(ctx: Context, id: string, param = 'id'): Rec {
  const rec = ctx.engine.store.get(id)
  if (
    !rec ||
    rec.type !== 'account' ||
    rec.plat !== ctx.platform ||
    rec.x.platform ||
    rec.deleted
  ) {
    throw resourceMissing(param === 'id' ? 'account' : 'destination', id, param)
  }
  return rec
}

// ---- object shape ------------------------------------------------------------------

function emptyRequirements(withDeadline = true): Obj {
  const lists = {
    alternatives: [],
    currently_due: [],
    errors: [],
    eventually_due: [],
    past_due: [],
    pending_verification: [],
  }
  return withDeadline ? { ...lists, current_deadline: null, disabled_reason: null } : lists
}

function baseAccount(id: string, now: number): Obj {
  return {
    id,
    object: 'account',
    business_profile: {
      annual_revenue: null,
      estimated_worker_count: null,
      mcc: null,
      minority_owned_business_designation: null,
      name: null,
      product_description: null,
      support_address: null,
      support_email: null,
      support_phone: null,
      support_url: null,
      url: null,
    },
    business_type: null,
    capabilities: {},
    charges_enabled: false,
    controller: {
      fees: { payer: 'application' },
      is_controller: true,
      losses: { payments: 'application' },
      requirement_collection: 'application',
      stripe_dashboard: { type: 'none' },
      type: 'application',
    },
    country: 'US',
    created: now,
    default_currency: 'usd',
    details_submitted: false,
    email: null,
    future_requirements: emptyRequirements(),
    metadata: {},
    payouts_enabled: false,
    requirements: emptyRequirements(),
    settings: {
      bacs_debit_payments: { display_name: null, service_user_number: null },
      branding: { icon: null, logo: null, primary_color: null, secondary_color: null },
      card_issuing: { tos_acceptance: { date: null, ip: null } },
      card_payments: {
        decline_on: { avs_failure: false, cvc_failure: false },
        statement_descriptor_prefix: null,
        statement_descriptor_prefix_kana: null,
        statement_descriptor_prefix_kanji: null,
      },
      dashboard: { display_name: null, timezone: 'Etc/UTC' },
      invoices: { default_account_tax_ids: null, hosted_payment_method_save: 'offer' },
      payments: {
        statement_descriptor: null,
        statement_descriptor_kana: null,
        statement_descriptor_kanji: null,
        statement_descriptor_prefix_kana: null,
        statement_descriptor_prefix_kanji: null,
      },
      payouts: {
        debit_negative_balances: true,
        schedule: { delay_days: 2, interval: 'daily' },
        statement_descriptor: null,
      },
      sepa_debit_payments: {},
    },
    tos_acceptance: { date: null, ip: null, user_agent: null },
    type: 'custom',
  }
}

export function basePerson(account: string, now: number): Obj {
  const document = () => ({ back: null, details: null, details_code: null, front: null })
  return {
    id: newId('person'),
    object: 'person',
    account,
    additional_tos_acceptances: { account: { date: null, ip: null, user_agent: null } },
    address: {
      city: null,
      country: 'US',
      line1: null,
      line2: null,
      postal_code: null,
      state: null,
    },
    created: now,
    dob: { day: null, month: null, year: null },
    email: null,
    first_name: null,
    future_requirements: emptyRequirements(false),
    id_number_provided: false,
    last_name: null,
    metadata: {},
    phone: null,
    relationship: {
      authorizer: null,
      director: false,
      executive: false,
      legal_guardian: false,
      owner: true,
      percent_ownership: null,
      representative: true,
      title: null,
    },
    requirements: emptyRequirements(false),
    ssn_last_4_provided: false,
    verification: {
      additional_document: document(),
      details: null,
      details_code: null,
      document: document(),
      status: 'unverified',
    },
  }
}

/** Only Custom accounts (or the equivalent controller properties) are modelled. */
function assertCustom(params: Params): void {
  if (params.type && params.type !== 'custom') {
    throw paramError(
      `The Stripe sandbox only models Custom connected accounts; '${params.type}' is not ` +
        `supported. Use type=custom or the equivalent controller properties.`,
      { param: 'type' }
    )
  }
  const controller = params.controller
  if (!params.type && !controller) {
    throw paramError('Missing required param: type.', { code: 'parameter_missing', param: 'type' })
  }
  if (controller) {
    const custom =
      controller.stripe_dashboard?.type === 'none' &&
      (controller.requirement_collection ?? 'application') === 'application' &&
      (controller.losses?.payments ?? 'application') === 'application' &&
      (controller.fees?.payer ?? 'application') === 'application'
    if (!custom) {
      throw paramError(
        'The Stripe sandbox only models Custom-equivalent accounts: ' +
          'controller[stripe_dashboard][type]=none, controller[fees][payer]=application, ' +
          'controller[losses][payments]=application, ' +
          'controller[requirement_collection]=application.',
        { param: 'controller' }
      )
    }
  }
}

// ---- applying parameters ----------------------------------------------------------------

function merge(target: Obj, patch: Params): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      if (target[key] === null || typeof target[key] !== 'object') {
        target[key] = {}
      }
      merge(target[key], value)
    } else {
      target[key] = value
    }
  }
}

function checkFileReference(ctx: Context, accountId: string, id: string | null, param: string) {
  if (id === null || MAGIC_FILES.has(id)) {
    return
  }
  const file = ctx.engine.store.get(id)
  const owner = file?.acct
  const visible = file && file.type === 'file' && (owner === accountId || owner === ctx.platform)
  if (!visible) {
    throw resourceMissing('file upload', id, param)
  }
}

export function validateIndividual(ctx: Context, accountId: string, individual: Params): void {
  if (individual.id_number) {
    const digits = individual.id_number.replace(/-/g, '')
    if (!/^\d{9}$/.test(digits)) {
      throw paramError('Invalid individual[id_number]: must be a 9-digit SSN or ITIN', {
        param: 'individual[id_number]',
      })
    }
  }
  if (individual.ssn_last_4 && !/^\d{4}$/.test(individual.ssn_last_4)) {
    throw paramError('Invalid individual[ssn_last_4]: must be exactly 4 digits', {
      param: 'individual[ssn_last_4]',
    })
  }
  const dob = individual.dob
  if (dob) {
    const { day, month, year } = dob
    const date = new Date(Date.UTC(year, (month ?? 1) - 1, day ?? 1))
    const valid =
      day && month && year && date.getUTCDate() === day && date.getUTCMonth() === month - 1
    if (!valid) {
      throw paramError('Invalid individual[dob]: must be a valid date (day, month and year)', {
        param: 'individual[dob]',
      })
    }
  }
  for (const kind of ['document', 'additional_document'] as const) {
    const doc = individual.verification?.[kind]
    if (doc) {
      const param = `individual[verification][${kind}]`
      checkFileReference(ctx, accountId, doc.front ?? null, `${param}[front]`)
      checkFileReference(ctx, accountId, doc.back ?? null, `${param}[back]`)
    }
  }
}

export function applyIndividual(engine: Engine, account: Rec, individual: Params): void {
  const obj = account.obj
  if (!obj.individual) {
    obj.individual = basePerson(account.id, engine.now())
  }
  const person = obj.individual
  const secrets = (account.x.secrets ??= {})
  const { id_number: idNumber, ssn_last_4: ssnLast4, verification, metadata, ...rest } = individual
  merge(person, rest)
  if (individual.dob === null) {
    person.dob = { day: null, month: null, year: null }
  }
  if (idNumber !== undefined) {
    secrets.id_number = idNumber === null ? undefined : idNumber.replace(/-/g, '')
    person.id_number_provided = idNumber !== null
    if (idNumber !== null) {
      person.ssn_last_4_provided = true
    }
  }
  if (ssnLast4 !== undefined) {
    secrets.ssn_last_4 = ssnLast4 ?? undefined
    person.ssn_last_4_provided = ssnLast4 !== null || Boolean(secrets.id_number)
  }
  if (verification) {
    for (const kind of ['document', 'additional_document'] as const) {
      const doc = verification[kind]
      if (doc) {
        merge(person.verification[kind], doc)
      }
    }
  }
  person.metadata = applyMetadata(person.metadata, metadata)
}

/**
 * Validates account parameters without changing anything (a refused create
 * or update leaves no trace). Returns the parsed external account, if any.
 */
function prepareAccountParams(ctx: Context, accountId: string, params: Params): BankInput | null {
  if (params.individual) {
    validateIndividual(ctx, accountId, params.individual)
  }
  if (params.default_currency && params.default_currency.toLowerCase() !== 'usd') {
    throw paramError('The Stripe sandbox models US accounts; default_currency must be usd.', {
      param: 'default_currency',
    })
  }
  const recipient = params.tos_acceptance?.service_agreement === 'recipient'
  if (params.capabilities?.card_payments?.requested && recipient) {
    throw paramError('Accounts on the recipient service agreement cannot request card_payments.', {
      param: 'capabilities[card_payments]',
    })
  }
  return params.external_account
    ? parseBankInput(params.external_account, 'external_account')
    : null
}

function applyAccountParams(
  ctx: Context,
  account: Rec,
  params: Params,
  bankInput: BankInput | null
): Rec | null {
  const engine = ctx.engine
  const obj = account.obj
  for (const key of ['email', 'business_type'] as const) {
    if (key in params) {
      obj[key] = params[key]
    }
  }
  if (params.business_profile) {
    merge(obj.business_profile, params.business_profile)
  }
  if (params.company) {
    obj.company ??= { address: {}, name: null, phone: null, tax_id_provided: false }
    const { tax_id: taxId, ...rest } = params.company
    merge(obj.company, rest)
    if (taxId !== undefined) {
      obj.company.tax_id_provided = taxId !== null
    }
  }
  if (params.individual) {
    applyIndividual(engine, account, params.individual)
  }
  if (params.tos_acceptance) {
    merge(obj.tos_acceptance, params.tos_acceptance)
  }
  if (params.settings) {
    const settings = snapshot(params.settings)
    const delay = settings.payouts?.schedule?.delay_days
    if (delay !== undefined && delay !== null && delay !== 'minimum') {
      settings.payouts.schedule.delay_days = Number(delay)
    }
    merge(obj.settings, settings)
  }
  if (params.capabilities) {
    const requested: Record<string, number> = (account.x.requested ??= {})
    for (const [name, value] of Object.entries(params.capabilities as Record<string, Params>)) {
      if (value.requested === true) {
        requested[name] ??= engine.now()
      } else if (value.requested === false) {
        delete requested[name]
      }
    }
  }
  obj.metadata = applyMetadata(obj.metadata, params.metadata)
  if (bankInput) {
    // `external_account` on an account replaces the existing ones in that currency.
    for (const old of banksOf(engine, account.id)) {
      if (old.obj.currency === bankInput.currency) {
        old.deleted = true
        engine.store.reindex(old)
      }
    }
    bankInput.defaultForCurrency = true
    return createBank(engine, account, bankInput)
  }
  return null
}

// ---- recomputation and events ----------------------------------------------------------

function capabilityObject(account: Rec, name: string): Obj {
  return {
    id: name,
    object: 'capability',
    account: account.id,
    future_requirements: emptyRequirements(),
    requested: true,
    requested_at: account.x.requested?.[name] ?? null,
    requirements: snapshot(account.obj.requirements),
    status: account.obj.capabilities[name] ?? 'inactive',
  }
}

/** Recomputes requirements, capabilities and flags from what the account holds. */
function recompute(engine: Engine, account: Rec): void {
  const obj = account.obj
  const hasBank = banksOf(engine, account.id).length > 0
  const state = computeRequirements(account, hasBank)
  obj.requirements = state.requirements
  const capabilities: Obj = {}
  for (const name of Object.keys(account.x.requested ?? {}).sort()) {
    capabilities[name] = state.capabilityStatus
  }
  obj.capabilities = capabilities
  const anyActive = Object.values(capabilities).includes('active')
  obj.charges_enabled = capabilities.card_payments === 'active'
  obj.payouts_enabled = anyActive && hasBank
  if (!state.missingInformation) {
    account.x.detailsSubmitted = true
  }
  obj.details_submitted = Boolean(account.x.detailsSubmitted)
  const person = obj.individual
  if (person) {
    const requirements = state.requirements
    const personal = (list: string[]) =>
      list.filter((f) => f.startsWith('individual.')).map((f) => f.slice('individual.'.length))
    person.requirements = {
      alternatives: [],
      currently_due: personal(requirements.currently_due),
      errors: requirements.errors
        .filter((e: Obj) => e.requirement.startsWith('individual.'))
        .map((e: Obj) => ({ ...e, requirement: e.requirement.slice('individual.'.length) })),
      eventually_due: personal(requirements.eventually_due),
      past_due: personal(requirements.past_due),
      pending_verification: personal(requirements.pending_verification),
    }
    person.verification.status = state.personStatus
    const checks = account.x.checks
    const identityFailed = checks.identity.status === 'failed'
    person.verification.details = identityFailed ? checks.identity.reason : null
    person.verification.details_code = identityFailed ? 'failed_keyed_identity' : null
    for (const [kind, check] of [
      ['document', checks.document],
      ['additional_document', checks.additionalDocument],
    ] as const) {
      const failed = check.status === 'failed'
      person.verification[kind].details = failed ? check.reason : null
      person.verification[kind].details_code = failed ? 'document_failed_test_mode' : null
    }
  }
}

/**
 * After any change: start the verifications the change enables, recompute,
 * and announce what changed (account.updated with previous_attributes,
 * capability.updated per capability whose status moved).
 */
export function refreshAccount(engine: Engine, account: Rec, before: Obj | null): void {
  for (const started of startChecks(account)) {
    if (!started.immediate) {
      const gen = account.x.checks[started.name].gen
      const delay = settingsOf(engine, account.plat).verificationDelaySeconds
      engine.schedule(engine.now() + delay, 'account.verify', {
        id: account.id,
        check: started.name,
        gen,
      })
    }
  }
  const previousCapabilities: Obj = before?.capabilities ?? {}
  recompute(engine, account)
  engine.markDirty()
  if (!before) {
    return
  }
  const previous = previousAttributes(before, engine.render(account))
  if (previous) {
    engine.emit('account.updated', account.id, account.plat, engine.render(account), previous)
  }
  if (previous?.individual && account.obj.individual) {
    engine.emit(
      'person.updated',
      account.id,
      account.plat,
      account.obj.individual,
      previous.individual
    )
  }
  for (const name of Object.keys(account.obj.capabilities)) {
    if (previousCapabilities[name] !== account.obj.capabilities[name]) {
      const capability = capabilityObject(account, name)
      const previousStatus = { status: previousCapabilities[name] ?? 'unrequested' }
      engine.emit('capability.updated', account.id, account.plat, capability, previousStatus)
    }
  }
}

// ---- routes ------------------------------------------------------------------------------

export function registerAccounts(engine: Engine): void {
  engine.setIndexer('account', (rec) => (rec.x.platform ? [] : ['connected']))
  engine.setRenderer('account', (rec) => ({
    ...rec.obj,
    external_accounts: embeddedList(
      banksOf(engine, rec.id),
      `/v1/accounts/${rec.id}/external_accounts`,
      (bank) => bank.obj
    ),
  }))
  engine.onJob('account.verify', (job) => {
    const account = engine.store.get(String(job.data.id))
    if (!account || account.deleted) {
      return
    }
    const before = snapshot(engine.render(account))
    if (resolveCheck(account, job.data.check as CheckName, Number(job.data.gen))) {
      refreshAccount(engine, account, before)
    }
  })

  const router = engine.router
  const render = (rec: Rec) => engine.render(rec)

  router.add('POST', '/v1/accounts', hash(createParams), (ctx) => {
    const params = ctx.params
    if (ctx.connected) {
      throw invalidRequest('Connected accounts cannot create other accounts.', {
        param: 'Stripe-Account',
      })
    }
    assertCustom(params)
    if (params.country && params.country.toUpperCase() !== 'US') {
      throw paramError('The Stripe sandbox models US accounts only (country=US).', {
        param: 'country',
      })
    }
    const id = newId('acct', 16)
    const bankInput = prepareAccountParams(ctx, id, params)
    const account = engine.create(
      'account',
      ctx.platform,
      ctx.platform,
      baseAccount(id, engine.now()),
      {
        checks: emptyChecks(),
        requested: {},
        secrets: {},
      }
    )
    const bank = applyAccountParams(ctx, account, params, bankInput)
    refreshAccount(engine, account, null)
    if (bank) {
      engine.emitFor(bank, 'account.external_account.created')
    }
    return render(account)
  })

  router.add('GET', '/v1/accounts/:id', hash({}), (ctx) => render(findConnected(ctx, ctx.path.id)))

  router.add('GET', '/v1/account', hash({}), (ctx) => render(engine.store.get(ctx.account)!))

  router.add('POST', '/v1/accounts/:id', hash(accountParams), (ctx) => {
    const account = findConnected(ctx, ctx.path.id)
    const bankInput = prepareAccountParams(ctx, account.id, ctx.params)
    const before = snapshot(render(account))
    const bank = applyAccountParams(ctx, account, ctx.params, bankInput)
    if (bank) {
      engine.emitFor(bank, 'account.external_account.created')
    }
    refreshAccount(engine, account, before)
    return render(account)
  })

  router.add('DELETE', '/v1/accounts/:id', hash({}), (ctx) => {
    const account = findConnected(ctx, ctx.path.id)
    const perCurrency = engine.balances.get(account.id)
    const nonZero = [...(perCurrency?.values() ?? [])].some(
      (b) => b.available !== 0 || b.pending !== 0
    )
    if (nonZero) {
      throw invalidRequest(
        `This account cannot be deleted because its balance is not zero. Pay out or reverse ` +
          `the remaining funds first.`,
        { param: 'account' }
      )
    }
    account.deleted = true
    engine.store.reindex(account)
    engine.markDirty()
    return { id: account.id, object: 'account', deleted: true }
  })

  router.add('GET', '/v1/accounts', hash(LIST_PARAMS), (ctx) =>
    paginate(engine.store.list(`account|${ctx.platform}|connected`), ctx.params, {
      store: engine.store,
      url: '/v1/accounts',
      label: 'account',
      render,
    })
  )

  // Capabilities of a connected account.
  router.add('GET', '/v1/accounts/:id/capabilities', hash({}), (ctx) => {
    const account = findConnected(ctx, ctx.path.id)
    const data = Object.keys(account.obj.capabilities).map((name) =>
      capabilityObject(account, name)
    )
    return { object: 'list', data, has_more: false, url: `/v1/accounts/${account.id}/capabilities` }
  })
  router.add('GET', '/v1/accounts/:id/capabilities/:cap', hash({}), (ctx) => {
    const account = findConnected(ctx, ctx.path.id)
    if (!(ctx.path.cap in account.obj.capabilities)) {
      throw resourceMissing('capability', ctx.path.cap)
    }
    return capabilityObject(account, ctx.path.cap)
  })
  registerPersons(engine)

  router.add('POST', '/v1/accounts/:id/capabilities/:cap', hash({ requested: bool() }), (ctx) => {
    const account = findConnected(ctx, ctx.path.id)
    if (!(CAPABILITIES as readonly string[]).includes(ctx.path.cap)) {
      throw resourceMissing('capability', ctx.path.cap)
    }
    const before = snapshot(render(account))
    applyAccountParams(ctx, account, { capabilities: { [ctx.path.cap]: ctx.params } }, null)
    refreshAccount(engine, account, before)
    return capabilityObject(account, ctx.path.cap)
  })
}
