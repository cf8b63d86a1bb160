import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import User from '#models/user'
import Service from '#models/service'
import Order from '#models/order'
import ContractorDebit from '#models/contractor_debit'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'
import { followRedirect } from '#tests/helpers/http'
import {
  createActiveContractor,
  createEmployer,
  profileOf,
  signedWebhook,
} from '#tests/helpers/stripe'
import StripeEvent from '#models/stripe_event'
import { createService } from '#tests/helpers/orders'
import { BANK, DETAILS, postForm } from '#tests/helpers/onboarding'
import { errorsOf, runCommand, withoutTerminal } from '#tests/functional/console_helpers'
import { freeTextProblem } from '#validators/text'
import ContractorsDebit from '#commands/contractors_debit'

/** What every free-text field must refuse: NUL, bell, escape, and too much text */
const CONTROL_CHARACTERS = [
  { label: 'NUL', value: 'Ada\u0000Lovelace' },
  { label: 'bell', value: 'Ada\u0007Lovelace' },
  { label: 'escape', value: 'Ada\u001b[31mLovelace' },
  { label: 'DEL', value: 'Ada\u007fLovelace' },
  { label: 'a C1 control', value: 'Ada\u0085Lovelace' },
]

function assertControlMessage(assert: any, messages: unknown) {
  assert.isArray(messages)
  assert.match(String((messages as string[])[0]), /contains a control character/)
}

test.group('Free text: the rule', () => {
  test('finds control characters, lone surrogates, and newlines where one line is wanted', ({
    assert,
  }) => {
    for (const { value } of CONTROL_CHARACTERS) {
      assert.equal(freeTextProblem(value), 'control', JSON.stringify(value))
      assert.equal(freeTextProblem(value, { multiline: true }), 'control', JSON.stringify(value))
    }
    assert.equal(freeTextProblem('one\ntwo'), 'newline')
    assert.equal(freeTextProblem('one\u2028two', { multiline: true }), 'control')
    assert.isNull(freeTextProblem('one\r\ntwo\nthree', { multiline: true }))
    assert.equal(freeTextProblem('lone \ud800 surrogate'), 'malformed')
    assert.isNull(freeTextProblem('Zoë Ødegård — 東京 🎨'))
  })
})

test.group('Free text: signup', (group) => {
  group.each.setup(() => truncateAllTables())

  test('refuses a full name with {label}, shown on the form, no account made')
    .with(CONTROL_CHARACTERS)
    .run(async ({ client, assert }, { value }) => {
      const response = await client
        .post('/signup')
        .withCsrfToken()
        .form({
          full_name: value,
          email: 'ada@example.com',
          password: 'analytical-engine-1843',
          role: 'employer',
        })
        .redirects(0)

      response.assertStatus(302)
      response.assertHeader('location', '/signup')
      assertControlMessage(assert, response.flashMessage('inputErrorsBag').full_name)
      assert.lengthOf(await User.all(), 0)
      const page = await followRedirect(client, response)
      page.assertStatus(200)
      page.assertTextIncludes('The full name contains a control character')
    })

  test('refuses a full name on two lines or too long', async ({ client, assert }) => {
    for (const [fullName, pattern] of [
      ['Ada\nLovelace', /must fit on one line/],
      ['A'.repeat(121), /at most 120 characters/],
    ] as const) {
      const response = await client
        .post('/signup')
        .withCsrfToken()
        .form({
          full_name: fullName,
          email: 'ada@example.com',
          password: 'analytical-engine-1843',
          role: 'employer',
        })
        .redirects(0)
      assert.match(String(response.flashMessage('inputErrorsBag').full_name), pattern)
    }
    assert.lengthOf(await User.all(), 0)
  })
})

test.group('Free text: services', (group) => {
  group.each.setup(() => truncateAllTables())

  const valid = {
    title: 'Kitchen renovation plan',
    description: 'A full plan for your kitchen renovation, with drawings.',
    price: '120.00',
    currency: 'usd',
  }

  test('refuses {label} in the title and in the description')
    .with(CONTROL_CHARACTERS)
    .run(async ({ client, assert }, { value }) => {
      const contractor = await createUser({ role: 'contractor' })
      for (const field of ['title', 'description'] as const) {
        const response = await client
          .post('/my/services')
          .loginAs(contractor)
          .withCsrfToken()
          .form({ ...valid, [field]: `${value} and more words here` })
          .redirects(0)
        response.assertStatus(302)
        response.assertHeader('location', '/my/services')
        assertControlMessage(assert, response.flashMessage('inputErrorsBag')[field])
      }
      assert.lengthOf(await Service.all(), 0)
    })

  test('caps the title and the description', async ({ client, assert }) => {
    const contractor = await createUser({ role: 'contractor' })
    for (const [field, length, pattern] of [
      ['title', 121, /at most 120 characters/],
      ['description', 5001, /at most 5000 characters/],
    ] as const) {
      const response = await client
        .post('/my/services')
        .loginAs(contractor)
        .withCsrfToken()
        .form({ ...valid, [field]: 'x'.repeat(length) })
        .redirects(0)
      assert.match(String(response.flashMessage('inputErrorsBag')[field]), pattern)
    }
    assert.lengthOf(await Service.all(), 0)
  })

  test('newlines of a description survive (CRLF becomes LF); a title stays on one line', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const response = await client
      .post('/my/services')
      .loginAs(contractor)
      .withCsrfToken()
      .form({ ...valid, description: '  First line\r\nSecond line\n\nThird paragraph  ' })
      .redirects(0)
    response.assertStatus(302)
    const service = await Service.findByOrFail('contractorId', contractor.id)
    assert.equal(service.description, 'First line\nSecond line\n\nThird paragraph')

    const page = await client.get(`/services/${service.id}`)
    page.assertTextIncludes('First line\nSecond line')

    const twoLines = await client
      .post('/my/services')
      .loginAs(contractor)
      .withCsrfToken()
      .form({ ...valid, title: 'Kitchen\nrenovation' })
      .redirects(0)
    assert.match(String(twoLines.flashMessage('inputErrorsBag').title), /one line/)
  })
})

test.group('Free text: onboarding', (group) => {
  group.each.setup(() => truncateAllTables())

  async function contractorWithAccount() {
    const contractor = await createUser({ role: 'contractor' })
    const { ensureConnectAccount } = await import('#actions/onboarding/ensure_account')
    const accountId = await ensureConnectAccount(contractor)
    return { contractor, accountId }
  }

  test('details: {label} in a name or the address never reaches Stripe')
    .with(CONTROL_CHARACTERS)
    .run(async ({ client, assert }, { value }) => {
      const { contractor, accountId } = await contractorWithAccount()
      for (const field of ['first_name', 'last_name', 'address_line1', 'address_city']) {
        const response = await postForm(client, contractor, '/onboarding/details', {
          ...DETAILS,
          [field]: value,
        })
        response.assertStatus(302)
        response.assertHeader('location', '/onboarding?step=details')
        assertControlMessage(assert, response.flashMessage('inputErrorsBag')[field])
      }
      const account = await stripe().accounts.retrieve(accountId)
      assert.isNotOk(account.individual?.first_name)
      const profile = await profileOf(contractor)
      assert.equal(profile.onboardingRevision, 0)
    })

  test('details: a name longer than 100 characters is refused', async ({ client, assert }) => {
    const { contractor } = await contractorWithAccount()
    const response = await postForm(client, contractor, '/onboarding/details', {
      ...DETAILS,
      first_name: 'J'.repeat(101),
    })
    assert.match(
      String(response.flashMessage('inputErrorsBag').first_name),
      /at most 100 characters/
    )
  })

  test('bank: {label} in the account holder name never reaches Stripe')
    .with(CONTROL_CHARACTERS)
    .run(async ({ client, assert }, { value }) => {
      const { contractor, accountId } = await contractorWithAccount()
      const response = await postForm(client, contractor, '/onboarding/bank', {
        ...BANK,
        account_holder_name: value,
      })
      response.assertStatus(302)
      response.assertHeader('location', '/onboarding?step=bank')
      assertControlMessage(assert, response.flashMessage('inputErrorsBag').account_holder_name)
      const banks = await stripe().accounts.listExternalAccounts(accountId, {
        object: 'bank_account',
      })
      assert.lengthOf(banks.data, 0)
    })
})

test.group('Free text: the order note', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a note with a control character or too long is refused on the service page; newlines survive', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const service = await createService(contractor)

    for (const [note, pattern] of [
      ['Please\u0000hurry', /contains a control character/],
      ['Ring \u0007 twice', /contains a control character/],
      ['\u001b[2J', /contains a control character/],
      ['n'.repeat(2001), /at most 2000 characters/],
    ] as const) {
      const response = await client
        .post('/orders')
        .loginAs(employer)
        .withCsrfToken()
        .form({ service_id: String(service.id), note })
        .redirects(0)
      response.assertStatus(302)
      response.assertHeader('location', `/services/${service.id}`)
      assert.match(String(response.flashMessage('inputErrorsBag').note), pattern)
    }
    assert.lengthOf(await Order.all(), 0)

    const placed = await client
      .post('/orders')
      .loginAs(employer)
      .withCsrfToken()
      .form({ service_id: String(service.id), note: 'Line one\r\nLine two' })
      .redirects(0)
    placed.assertStatus(302)
    const order = await Order.firstOrFail()
    assert.equal(order.note, 'Line one\nLine two')
  })
})

test.group('Free text: what Stripe sends back', (group) => {
  group.each.setup(() => truncateAllTables())

  test('an event carrying a NUL (typed elsewhere) is stored, with U+FFFD in its place', async ({
    client,
    assert,
  }) => {
    const { payload, signature } = signedWebhook({
      type: 'customer.updated',
      data: { object: { id: 'cus_nul', object: 'customer', name: 'Ada\u0000Lovelace' } },
    })

    const response = await client
      .post('/stripe/webhook')
      .header('stripe-signature', signature)
      .header('content-type', 'application/json')
      .json(JSON.parse(payload))

    response.assertStatus(200)
    const stored = await StripeEvent.firstOrFail()
    const customer = (stored.payload as { data: { object: { name: string } } }).data.object
    assert.equal(customer.name, 'Ada\uFFFDLovelace')
  })
})

test.group('Free text: console arguments', (group) => {
  group.each.setup(() => {
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })
  group.each.setup(() => truncateAllTables())

  test('contractors:debit refuses a control character in --reason or in the contractor', async ({
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    for (const argv of [
      [contractor.email, '--amount=5.00', '--currency=usd', '--reason=Chargeback\u0000fee'],
      [contractor.email, '--amount=5.00', '--currency=usd', '--reason=Fee \u001b[31m'],
      [`${contractor.email}\u0000`, '--amount=5.00', '--currency=usd', '--reason=Chargeback fee'],
    ]) {
      const command = await withoutTerminal(() =>
        runCommand(ContractorsDebit, [...argv, '--force'])
      )
      command.assertFailed()
      const errors = errorsOf(command)
      assert.lengthOf(errors, 1)
      assert.match(errors[0], /contains a control character/)
    }
    assert.lengthOf(await ContractorDebit.all(), 0)
  })
})
