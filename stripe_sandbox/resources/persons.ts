import { type Context } from '../core/context.js'
import { previousAttributes, snapshot } from '../core/diff.js'
import { invalidRequest, resourceMissing } from '../core/errors.js'
import { LIST_PARAMS } from '../core/lists.js'
import { applyMetadata, bool, hash, type HashSpec } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Obj, type Params } from '../core/types.js'
import { type Engine } from '../engine.js'
import { individualSpec } from './account_params.js'
import {
  applyIndividual,
  basePerson,
  findConnected,
  refreshAccount,
  validateIndividual,
} from './accounts.js'

/*
 * The Persons API of a connected account (minimal). For an individual
 * account the one person is its `individual` (same id, same verification):
 * reading or updating it here is the same as through the account. Other
 * accounts can hold persons (representatives, owners…) whose details are
 * stored but not verified: company verification is not modelled.
 */

const personSpec: HashSpec = hash({ ...individualSpec.props })
const listSpec = hash({
  ...LIST_PARAMS,
  relationship: hash({
    authorizer: bool(),
    director: bool(),
    executive: bool(),
    legal_guardian: bool(),
    owner: bool(),
    representative: bool(),
  }),
})

function personsOf(engine: Engine, account: Rec): Obj[] {
  const stored = engine.store.list(`person|${account.acct}|account=${account.id}`)
  const people = stored.map((rec) => rec.obj)
  if (account.obj.individual) {
    people.unshift(account.obj.individual)
  }
  // Newest first, like every Stripe list.
  return people.reverse()
}

function findPerson(ctx: Context, account: Rec, id: string): { obj: Obj; rec: Rec | null } {
  if (account.obj.individual?.id === id) {
    return { obj: account.obj.individual, rec: null }
  }
  const rec = ctx.engine.store.get(id)
  if (!rec || rec.type !== 'person' || rec.obj.account !== account.id || rec.deleted) {
    throw resourceMissing('person', id)
  }
  return { obj: rec.obj, rec }
}

/** Details of a person that is not the account's individual: stored, never verified. */
function applyDetails(person: Obj, params: Params): void {
  const { id_number: idNumber, ssn_last_4: ssnLast4, metadata, verification, ...rest } = params
  for (const [key, value] of Object.entries(rest)) {
    person[key] =
      value && typeof value === 'object' && !Array.isArray(value)
        ? { ...(person[key] ?? {}), ...value }
        : value
  }
  if (idNumber !== undefined) {
    person.id_number_provided = idNumber !== null
  }
  if (ssnLast4 !== undefined || idNumber) {
    person.ssn_last_4_provided = ssnLast4 !== null || Boolean(idNumber)
  }
  if (verification?.document) {
    Object.assign(person.verification.document, verification.document)
  }
  if (verification?.additional_document) {
    Object.assign(person.verification.additional_document, verification.additional_document)
  }
  person.metadata = applyMetadata(person.metadata, metadata)
}

function updateIndividual(ctx: Context, account: Rec, params: Params): Obj {
  const engine = ctx.engine
  validateIndividual(ctx, account.id, params)
  const before = snapshot(engine.render(account))
  applyIndividual(engine, account, params)
  refreshAccount(engine, account, before)
  return account.obj.individual
}

export function registerPersons(engine: Engine): void {
  engine.setIndexer('person', (rec) => [`account=${rec.obj.account}`])
  const router = engine.router

  router.add('GET', '/v1/accounts/:id/persons', listSpec, (ctx) => {
    const account = findConnected(ctx, ctx.path.id)
    const relationship: Params = ctx.params.relationship ?? {}
    const people = personsOf(engine, account).filter((person) =>
      Object.entries(relationship).every(([key, value]) => person.relationship?.[key] === value)
    )
    const limit: number = ctx.params.limit ?? 10
    if (limit < 1 || limit > 100) {
      throw invalidRequest('Invalid limit: must be between 1 and 100', { param: 'limit' })
    }
    let rest = people
    let page = people.slice(0, limit)
    const cursor: string | undefined = ctx.params.starting_after ?? ctx.params.ending_before
    if (cursor) {
      const at = people.findIndex((person) => person.id === cursor)
      const param = ctx.params.starting_after ? 'starting_after' : 'ending_before'
      if (at < 0) {
        throw resourceMissing('person', cursor, param)
      }
      rest = param === 'starting_after' ? people.slice(at + 1) : people.slice(0, at)
      page = param === 'starting_after' ? rest.slice(0, limit) : rest.slice(-limit)
    }
    return {
      object: 'list',
      data: page,
      has_more: rest.length > limit,
      url: `/v1/accounts/${account.id}/persons`,
    }
  })

  router.add('POST', '/v1/accounts/:id/persons', personSpec, (ctx) => {
    const account = findConnected(ctx, ctx.path.id)
    if (account.obj.business_type === 'individual') {
      if (account.obj.individual) {
        throw invalidRequest(
          `The individual account ${account.id} has one person, its individual ` +
            `(${account.obj.individual.id}); update that person instead.`,
          { param: 'account' }
        )
      }
      return updateIndividual(ctx, account, ctx.params)
    }
    validateIndividual(ctx, account.id, ctx.params)
    const person = basePerson(account.id, engine.now())
    person.relationship.owner = false
    person.relationship.representative = false
    applyDetails(person, ctx.params)
    const rec = engine.create('person', account.acct, account.plat, person)
    engine.emit('person.created', account.id, account.plat, person)
    return rec.obj
  })

  router.add('GET', '/v1/accounts/:id/persons/:person', hash({}), (ctx) => {
    const account = findConnected(ctx, ctx.path.id)
    return findPerson(ctx, account, ctx.path.person).obj
  })

  router.add('POST', '/v1/accounts/:id/persons/:person', personSpec, (ctx) => {
    const account = findConnected(ctx, ctx.path.id)
    const { obj, rec } = findPerson(ctx, account, ctx.path.person)
    if (!rec) {
      return updateIndividual(ctx, account, ctx.params)
    }
    validateIndividual(ctx, account.id, ctx.params)
    const before = snapshot(obj)
    applyDetails(obj, ctx.params)
    const previous = previousAttributes(before, obj)
    if (previous) {
      engine.emit('person.updated', account.id, account.plat, obj, previous)
    }
    engine.markDirty()
    return obj
  })

  router.add('DELETE', '/v1/accounts/:id/persons/:person', hash({}), (ctx) => {
    const account = findConnected(ctx, ctx.path.id)
    const { obj, rec } = findPerson(ctx, account, ctx.path.person)
    if (!rec) {
      throw invalidRequest(
        `${obj.id} is the individual of account ${account.id} and cannot be deleted.`,
        { param: 'person' }
      )
    }
    rec.deleted = true
    engine.store.reindex(rec)
    engine.emit('person.deleted', account.id, account.plat, obj)
    engine.markDirty()
    return { id: obj.id, object: 'person', deleted: true }
  })
}
