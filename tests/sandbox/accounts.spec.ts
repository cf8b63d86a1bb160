import { test } from '@japa/runner'
import type Stripe from 'stripe'
import {
  activeAccount,
  advance,
  type Harness,
  immediateVerificationParams,
  sandboxSettings,
  startHarness,
  stripeError,
} from './helpers.js'

const PNG = Buffer.concat([
  Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
  Buffer.from('sandbox test image'),
])

const US_INDIVIDUAL_DUE = [
  'business_profile.mcc',
  'business_profile.url',
  'external_account',
  'individual.address.city',
  'individual.address.line1',
  'individual.address.postal_code',
  'individual.address.state',
  'individual.dob.day',
  'individual.dob.month',
  'individual.dob.year',
  'individual.email',
  'individual.first_name',
  'individual.last_name',
  'individual.phone',
  'individual.ssn_last_4',
  'tos_acceptance.date',
  'tos_acceptance.ip',
]

async function newAccount(stripe: Stripe) {
  return stripe.accounts.create({
    type: 'custom',
    country: 'US',
    business_type: 'individual',
    capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
  })
}

/** All required details, with the asynchronous ("pass after a delay") test values. */
function asyncDetails(
  overrides: Stripe.AccountUpdateParams.Individual = {}
): Stripe.AccountUpdateParams {
  const base = immediateVerificationParams()
  return {
    ...base,
    individual: {
      ...base.individual,
      dob: { day: 1, month: 1, year: 1901 },
      address: { ...base.individual!.address, line1: 'address_full_match' },
      id_number: '000000000',
      ...overrides,
    },
  }
}

test.group('Custom accounts: requirements and verification', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('a new US individual account lists what is due and is disabled', async ({ assert }) => {
    const stripe = h.client()
    const account = await newAccount(stripe)
    assert.match(account.id, /^acct_/)
    assert.equal(account.type, 'custom')
    assert.deepEqual(account.requirements?.currently_due, US_INDIVIDUAL_DUE)
    assert.deepEqual(account.requirements?.past_due, US_INDIVIDUAL_DUE)
    assert.includeMembers(account.requirements?.eventually_due ?? [], US_INDIVIDUAL_DUE)
    assert.deepEqual(account.requirements?.pending_verification, [])
    assert.equal(account.requirements?.disabled_reason, 'requirements.past_due')
    assert.deepEqual(account.requirements?.alternatives, [
      {
        alternative_fields_due: ['business_profile.product_description'],
        original_fields_due: ['business_profile.url'],
      },
      {
        alternative_fields_due: ['individual.id_number'],
        original_fields_due: ['individual.ssn_last_4'],
      },
    ])
    assert.deepEqual(account.capabilities, { card_payments: 'inactive', transfers: 'inactive' })
    assert.isFalse(account.charges_enabled)
    assert.isFalse(account.payouts_enabled)
    assert.isFalse(account.details_submitted)
    const noType = await stripe.accounts.create({
      type: 'custom',
      capabilities: { transfers: { requested: true } },
    })
    assert.include(noType.requirements?.currently_due ?? [], 'business_type')
    assert.deepEqual(noType.capabilities, { transfers: 'inactive' })
  })

  test('asynchronous checks take a few seconds by default, as in Stripe’s test mode', async ({
    assert,
  }) => {
    const stripe = h.client()
    const settings = await sandboxSettings(stripe)
    assert.equal(settings.verification_delay_seconds, 3)
    const account = await newAccount(stripe)
    const submitted = await stripe.accounts.update(account.id, asyncDetails())
    assert.deepEqual(submitted.capabilities, { card_payments: 'pending', transfers: 'pending' })
    await advance(stripe, 3)
    const active = await stripe.accounts.retrieve(account.id)
    assert.deepEqual(active.capabilities, { card_payments: 'active', transfers: 'active' })
    // An app that still advances the clock by a minute sees the same result.
    await advance(stripe, 60)
    const later = await stripe.accounts.retrieve(account.id)
    assert.isTrue(later.charges_enabled)
  })

  test('documented test values: pending, then active after the verification delay', async ({
    assert,
  }) => {
    const stripe = h.client()
    // A platform can lengthen the delay (here to ten minutes) to look at the pending state.
    const settings = await sandboxSettings(stripe, { verification_delay_seconds: 600 })
    assert.equal(settings.verification_delay_seconds, 600)
    const account = await newAccount(stripe)
    const submitted = await stripe.accounts.update(account.id, asyncDetails())
    assert.deepEqual(submitted.requirements?.currently_due, [])
    assert.includeMembers(submitted.requirements?.pending_verification ?? [], [
      'individual.id_number',
      'individual.dob.year',
      'individual.address.line1',
    ])
    assert.equal(submitted.requirements?.disabled_reason, 'requirements.pending_verification')
    assert.deepEqual(submitted.capabilities, { card_payments: 'pending', transfers: 'pending' })
    assert.isTrue(submitted.details_submitted)
    assert.isFalse(submitted.charges_enabled)
    assert.equal(submitted.individual?.verification?.status, 'pending')
    assert.isTrue(submitted.individual?.id_number_provided)

    await advance(stripe, 540)
    const stillPending = await stripe.accounts.retrieve(account.id)
    assert.equal(stillPending.capabilities?.transfers, 'pending')
    await advance(stripe, 61)
    const active = await stripe.accounts.retrieve(account.id)
    assert.deepEqual(active.capabilities, { card_payments: 'active', transfers: 'active' })
    assert.isTrue(active.charges_enabled)
    assert.isTrue(active.payouts_enabled)
    assert.deepEqual(active.requirements?.pending_verification, [])
    assert.isNull(active.requirements?.disabled_reason)
    assert.equal(active.individual?.verification?.status, 'verified')

    const events = await stripe.events.list(
      { type: 'account.updated' },
      { stripeAccount: account.id }
    )
    const last = events.data[0]
    assert.equal(last.account, account.id)
    assert.equal((last.data.object as Stripe.Account).id, account.id)
    assert.isTrue((last.data.object as Stripe.Account).charges_enabled)
    const previous = last.data.previous_attributes as Partial<Stripe.Account>
    assert.equal(previous.charges_enabled, false)
    assert.deepEqual(previous.capabilities, { card_payments: 'pending', transfers: 'pending' })
    assert.isNull(last.request?.id)
    const capabilityEvents = await stripe.events.list(
      { type: 'capability.updated' },
      { stripeAccount: account.id }
    )
    assert.isAbove(capabilityEvents.data.length, 0)
    const personEvents = await stripe.events.list(
      { type: 'person.updated' },
      { stripeAccount: account.id }
    )
    const person = personEvents.data[0].data.object as Stripe.Person
    assert.equal(person.verification?.status, 'verified')
    assert.equal(
      (personEvents.data[0].data.previous_attributes as Stripe.Person).verification?.status,
      'pending'
    )
    // Platform endpoints do not see connected-account events.
    const platformEvents = await stripe.events.list({ type: 'account.updated' })
    assert.lengthOf(platformEvents.data, 0)
  })

  test('immediate test values (1902-01-01, 222222222, address_full_match_sync): active at once', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    assert.deepEqual(account.capabilities, { card_payments: 'active', transfers: 'active' })
    assert.isTrue(account.charges_enabled)
    assert.isTrue(account.payouts_enabled)
    assert.isTrue(account.details_submitted)
    assert.deepEqual(account.requirements?.currently_due, [])
    assert.deepEqual(account.requirements?.pending_verification, [])
    assert.deepEqual(account.tos_acceptance, {
      date: 1_700_000_000,
      ip: '203.0.113.7',
      user_agent: 'tests',
    })
    const update = await stripe.events.list(
      { type: 'account.updated' },
      { stripeAccount: account.id }
    )
    assert.isAbove(update.data.length, 0)
    assert.isNotNull(update.data[0].request?.id)
  })

  test('111111111 fails the ID match: a document becomes due, then a real upload verifies', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await newAccount(stripe)
    await stripe.accounts.update(account.id, asyncDetails({ id_number: '111111111' }))
    await advance(stripe, 61)
    const failed = await stripe.accounts.retrieve(account.id)
    assert.deepEqual(failed.requirements?.currently_due, ['individual.verification.document'])
    assert.deepEqual(
      failed.requirements?.errors?.map((e) => [e.requirement, e.code]),
      [['individual.verification.document', 'verification_failed_id_number_match']]
    )
    assert.isString(failed.requirements?.errors?.[0].reason)
    assert.equal(failed.capabilities?.transfers, 'inactive')
    assert.isFalse(failed.payouts_enabled)

    const file = await stripe.files.create(
      {
        purpose: 'identity_document',
        file: { data: PNG, name: 'passport.png', type: 'image/png' },
      },
      { stripeAccount: account.id }
    )
    assert.match(file.id, /^file_/)
    assert.equal(file.type, 'png')
    assert.equal(file.size, PNG.length)
    const withDocument = await stripe.accounts.update(account.id, {
      individual: { verification: { document: { front: file.id } } },
    })
    assert.deepEqual(withDocument.requirements?.currently_due, [])
    assert.include(
      withDocument.requirements?.pending_verification ?? [],
      'individual.verification.document'
    )
    assert.equal(withDocument.capabilities?.transfers, 'pending')
    await advance(stripe, 61)
    const verified = await stripe.accounts.retrieve(account.id)
    assert.equal(verified.capabilities?.transfers, 'active')
    assert.deepEqual(verified.requirements?.errors, [])
    assert.equal(verified.individual?.verification?.document?.front, file.id)
  })

  test('file_identity_document_failure: the document comes back due with an error', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await newAccount(stripe)
    // A date of birth that is not a test value does not match: a document is needed.
    await stripe.accounts.update(
      account.id,
      asyncDetails({ dob: { day: 5, month: 5, year: 1980 } })
    )
    await advance(stripe, 61)
    const needsDocument = await stripe.accounts.retrieve(account.id)
    assert.deepEqual(needsDocument.requirements?.currently_due, [
      'individual.verification.document',
    ])
    assert.equal(needsDocument.requirements?.errors?.[0].code, 'verification_failed_keyed_identity')
    const failed = await stripe.accounts.update(account.id, {
      individual: { verification: { document: { front: 'file_identity_document_failure' } } },
    })
    assert.deepEqual(failed.requirements?.currently_due, ['individual.verification.document'])
    assert.deepEqual(
      failed.requirements?.errors?.map((e) => [e.requirement, e.code]),
      [['individual.verification.document', 'verification_document_failed_test_mode']]
    )
    assert.equal(
      failed.individual?.verification?.document?.details_code,
      'document_failed_test_mode'
    )
    const fixed = await stripe.accounts.update(account.id, {
      individual: { verification: { document: { front: 'file_identity_document_success' } } },
    })
    assert.deepEqual(fixed.requirements?.currently_due, [])
    assert.equal(fixed.capabilities?.transfers, 'active')
    assert.isTrue(fixed.charges_enabled)
  })

  test('address_no_match asks for a proof-of-address document', async ({ assert }) => {
    const stripe = h.client()
    const account = await newAccount(stripe)
    const base = asyncDetails()
    await stripe.accounts.update(account.id, {
      ...base,
      individual: {
        ...base.individual,
        address: { ...base.individual!.address, line1: 'address_no_match' },
      },
    })
    await advance(stripe, 61)
    const result = await stripe.accounts.retrieve(account.id)
    assert.deepEqual(result.requirements?.currently_due, [
      'individual.verification.additional_document',
    ])
    assert.equal(result.requirements?.errors?.[0].code, 'verification_failed_address_match')
  })

  test('an unknown document file id is refused', async ({ assert }) => {
    const stripe = h.client()
    const account = await newAccount(stripe)
    const error = await stripeError(
      stripe.accounts.update(account.id, {
        individual: { verification: { document: { front: 'file_doesnotexist' } } },
      })
    )
    assert.equal(error.statusCode, 400)
    assert.equal(error.code, 'resource_missing')
    assert.equal(error.param, 'individual[verification][document][front]')
  })
})

test.group('Custom accounts: CRUD, external accounts, files', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('controller properties equivalent to Custom create a custom account', async ({ assert }) => {
    const stripe = h.client()
    const account = await stripe.accounts.create({
      controller: {
        stripe_dashboard: { type: 'none' },
        fees: { payer: 'application' },
        losses: { payments: 'application' },
        requirement_collection: 'application',
      },
      capabilities: { transfers: { requested: true } },
      metadata: { user_id: '12' },
    })
    assert.equal(account.type, 'custom')
    assert.deepEqual(account.metadata, { user_id: '12' })
    const express = await stripeError(stripe.accounts.create({ type: 'express' }))
    assert.equal(express.statusCode, 400)
    assert.equal(express.param, 'type')
  })

  test('retrieve, update, list, the platform account, delete', async ({ assert }) => {
    const stripe = h.client()
    const platform = await stripe.accounts.retrieveCurrent()
    assert.equal(platform.object, 'account')
    const a = await newAccount(stripe)
    const b = await newAccount(stripe)
    const list = await stripe.accounts.list()
    assert.deepEqual(
      list.data.map((acc) => acc.id),
      [b.id, a.id]
    )
    const viaHeader = await stripe.accounts.retrieveCurrent({}, { stripeAccount: a.id })
    assert.equal(viaHeader.id, a.id)
    const updated = await stripe.accounts.update(a.id, {
      email: 'new@example.com',
      business_profile: { product_description: 'Plumbing' },
    })
    assert.equal(updated.email, 'new@example.com')
    assert.notInclude(updated.requirements?.currently_due ?? [], 'business_profile.url')
    const deleted = await stripe.accounts.del(b.id)
    assert.isTrue(deleted.deleted)
    const gone = await stripeError(stripe.accounts.retrieve(b.id))
    assert.equal(gone.statusCode, 404)
  })

  test('bank accounts: stored without the full number, validated routing numbers', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await newAccount(stripe)
    const badRouting = await stripeError(
      stripe.accounts.update(account.id, {
        external_account: {
          object: 'bank_account',
          country: 'US',
          currency: 'usd',
          routing_number: '123456789',
          account_number: '000123456789',
        } as never,
      })
    )
    assert.equal(badRouting.code, 'routing_number_invalid')
    assert.equal(badRouting.param, 'external_account[routing_number]')
    const withBank = await stripe.accounts.update(account.id, {
      external_account: {
        object: 'bank_account',
        country: 'US',
        currency: 'usd',
        routing_number: '110000000',
        account_number: '000123456789',
        account_holder_name: 'Jenny Rosen',
      } as never,
    })
    assert.notInclude(withBank.requirements?.currently_due ?? [], 'external_account')
    const bank = withBank.external_accounts?.data[0] as Stripe.BankAccount
    assert.match(bank.id, /^ba_/)
    assert.equal(bank.bank_name, 'STRIPE TEST BANK')
    assert.equal(bank.last4, '6789')
    assert.equal(bank.routing_number, '110000000')
    assert.isTrue(bank.default_for_currency)
    assert.notInclude(JSON.stringify(withBank), '000123456789')

    const second = await stripe.accounts.createExternalAccount(account.id, {
      external_account: 'btok_us',
    })
    const banks = await stripe.accounts.listExternalAccounts(account.id)
    assert.deepEqual(
      banks.data.map((x) => x.id),
      [second.id, bank.id]
    )
    const refused = await stripeError(stripe.accounts.deleteExternalAccount(account.id, bank.id))
    assert.equal(refused.statusCode, 400)
    const removed = await stripe.accounts.deleteExternalAccount(account.id, second.id)
    assert.isTrue(removed.deleted)
    const created = await stripe.events.list(
      { type: 'account.external_account.created' },
      { stripeAccount: account.id }
    )
    assert.lengthOf(created.data, 2)
  })

  test('files: multipart upload, retrieve, list; identity documents must be images', async ({
    assert,
  }) => {
    const stripe = h.client()
    const file = await stripe.files.create({
      purpose: 'identity_document',
      file: { data: PNG, name: 'front.png', type: 'image/png' },
    })
    assert.equal(file.object, 'file')
    assert.equal(file.purpose, 'identity_document')
    assert.equal(file.filename, 'front.png')
    const fetched = await stripe.files.retrieve(file.id)
    assert.equal(fetched.size, PNG.length)
    const list = await stripe.files.list({ purpose: 'identity_document' })
    assert.deepEqual(
      list.data.map((f) => f.id),
      [file.id]
    )
    const text = await stripeError(
      stripe.files.create({
        purpose: 'identity_document',
        file: { data: Buffer.from('not an image'), name: 'notes.txt', type: 'text/plain' },
      })
    )
    assert.equal(text.statusCode, 400)
    assert.equal(text.param, 'file')
  })
})

test.group('Custom accounts: the Persons API', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('an individual account’s one person is its individual, readable and updatable here', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const individual = account.individual!
    const list = await stripe.accounts.listPersons(account.id)
    assert.deepEqual(
      list.data.map((p) => p.id),
      [individual.id]
    )
    assert.equal(list.url, `/v1/accounts/${account.id}/persons`)
    const person = await stripe.accounts.retrievePerson(account.id, individual.id)
    assert.equal(person.first_name, 'Jenny')
    assert.equal(person.verification?.status, 'verified')
    const updated = await stripe.accounts.updatePerson(account.id, individual.id, {
      phone: '+15555550123',
      relationship: { title: 'Owner' },
    })
    assert.equal(updated.phone, '+15555550123')
    assert.equal(updated.relationship?.title, 'Owner')
    assert.isTrue(updated.relationship?.owner)
    const again = await stripe.accounts.retrieve(account.id)
    assert.equal(again.individual?.phone, '+15555550123')
    const events = await stripe.events.list(
      { type: 'person.updated' },
      { stripeAccount: account.id }
    )
    assert.deepEqual(events.data[0].data.previous_attributes, {
      phone: '0000000000',
      relationship: { title: null },
    })
    const second = await stripeError(
      stripe.accounts.createPerson(account.id, { first_name: 'Other' })
    )
    assert.equal(second.statusCode, 400)
    const undeletable = await stripeError(stripe.accounts.deletePerson(account.id, individual.id))
    assert.equal(undeletable.statusCode, 400)
    const unknown = await stripeError(stripe.accounts.retrievePerson(account.id, 'person_nope'))
    assert.equal(unknown.statusCode, 404)
    assert.equal(unknown.code, 'resource_missing')
  })

  test('a company account holds persons: create, list by relationship, update, delete', async ({
    assert,
  }) => {
    const stripe = h.client()
    const company = await stripe.accounts.create({
      type: 'custom',
      country: 'US',
      business_type: 'company',
      capabilities: { transfers: { requested: true } },
    })
    const ceo = await stripe.accounts.createPerson(company.id, {
      first_name: 'Ada',
      last_name: 'Lovelace',
      email: 'ada@example.com',
      id_number: '000000000',
      relationship: { representative: true, executive: true, title: 'CEO', percent_ownership: 40 },
    })
    assert.match(ceo.id, /^person_/)
    assert.equal(ceo.account, company.id)
    assert.isTrue(ceo.id_number_provided)
    assert.isTrue(ceo.relationship?.representative)
    assert.equal(ceo.relationship?.percent_ownership, 40)
    const owner = await stripe.accounts.createPerson(company.id, {
      first_name: 'Grace',
      relationship: { owner: true, percent_ownership: 60 },
    })
    const all = await stripe.accounts.listPersons(company.id)
    assert.deepEqual(
      all.data.map((p) => p.id),
      [owner.id, ceo.id]
    )
    const reps = await stripe.accounts.listPersons(company.id, {
      relationship: { representative: true },
    })
    assert.deepEqual(
      reps.data.map((p) => p.id),
      [ceo.id]
    )
    const page = await stripe.accounts.listPersons(company.id, { limit: 1 })
    assert.isTrue(page.has_more)
    const next = await stripe.accounts.listPersons(company.id, {
      limit: 1,
      starting_after: page.data[0].id,
    })
    assert.deepEqual(
      next.data.map((p) => p.id),
      [ceo.id]
    )
    assert.isFalse(next.has_more)
    const renamed = await stripe.accounts.updatePerson(company.id, owner.id, {
      last_name: 'Hopper',
    })
    assert.equal(renamed.last_name, 'Hopper')
    const deleted = await stripe.accounts.deletePerson(company.id, ceo.id)
    assert.isTrue(deleted.deleted)
    const left = await stripe.accounts.listPersons(company.id)
    assert.deepEqual(
      left.data.map((p) => p.id),
      [owner.id]
    )
    const types = await stripe.events.list({}, { stripeAccount: company.id })
    assert.includeMembers(
      types.data.map((e) => e.type),
      ['person.created', 'person.updated', 'person.deleted']
    )
  })
})
