import { randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { Logger } from '@adonisjs/core/logger'
import type User from '#models/user'
import BankAccount from '#models/bank_account'
import { stripe } from '#stripe/client'
import type { StripeConfig } from '#config/stripe'
import loggerConfig from '#config/logger'
import { MANDATE_TEXT, MANDATE_VERSION } from '#actions/bank_accounts/mandate'
import { truncateAllTables } from '#tests/helpers/database'
import { followRedirect } from '#tests/helpers/http'
import { createEmployer, profileOf } from '#tests/helpers/stripe'
import {
  SUCCESS_ACCOUNT,
  TEST_CLIENT,
  TEST_ROUTING,
  addTestBankAccount,
  addVerifiedBankAccount,
} from '#tests/helpers/bank_accounts'

/** The add form as the page sends it (sandbox mode) */
function postBankAccount(
  client: ApiClient,
  employer: User,
  fields: Record<string, string | undefined> = {}
) {
  return client
    .post('/bank-accounts')
    .loginAs(employer)
    .withCsrfToken()
    .header('user-agent', TEST_CLIENT.userAgent)
    .form({
      routing_number: TEST_ROUTING,
      account_number: SUCCESS_ACCOUNT,
      account_holder_name: 'Erin Employer',
      account_holder_type: 'individual',
      mandate: 'on',
      form_token: randomUUID(),
      ...fields,
    })
    .redirects(0)
}

function postVerification(
  client: ApiClient,
  employer: User,
  id: number,
  fields: Record<string, string>
) {
  return client
    .post(`/bank-accounts/${id}/verify`)
    .loginAs(employer)
    .withCsrfToken()
    .form({ form_token: randomUUID(), ...fields })
    .redirects(0)
}

/** The employer's bank account SetupIntents on Stripe (not their cards') */
async function setupIntentsOf(employer: User) {
  const profile = await profileOf(employer)
  const list = await stripe().setupIntents.list({ customer: profile.stripeId!, limit: 100 })
  return list.data.filter((setupIntent) =>
    setupIntent.payment_method_types.includes('us_bank_account')
  )
}

async function bankMethodsOnStripe(employer: User) {
  const profile = await profileOf(employer)
  const list = await stripe().paymentMethods.list({
    customer: profile.stripeId!,
    type: 'us_bank_account',
  })
  return list.data
}

async function defaultOf(employer: User) {
  const profile = await profileOf(employer)
  return profile.defaultPaymentMethodId
}

async function customerIdOf(employer: User) {
  const profile = await profileOf(employer)
  return profile.stripeId!
}

/** Every text column of every row of these tables, as one string */
async function everythingIn(...tables: string[]) {
  const rows = await Promise.all(tables.map((table) => db.from(table).select('*')))
  return JSON.stringify(rows)
}

test.group('Bank accounts: the payment methods page', (group) => {
  group.each.setup(() => truncateAllTables())

  test('cards and bank accounts are on one page, at /cards and at /bank-accounts', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer()

    for (const path of ['/cards', '/bank-accounts']) {
      const page = await client.get(path).loginAs(employer)
      page.assertStatus(200)
      page.assertTextIncludes('<title>Payment methods · Crewpay</title>')
      page.assertTextIncludes('<h1>Payment methods</h1>')
      page.assertTextIncludes('Visa ···· 4242')
      page.assertTextIncludes('You have no bank accounts yet.')
      page.assertTextIncludes('<form method="POST" action="/bank-accounts" id="add-bank-form">')
      for (const field of [
        'routing_number',
        'account_number',
        'account_holder_name',
        'account_holder_type',
        'mandate',
        'form_token',
      ]) {
        assert.include(page.text(), `name="${field}"`, `${path}: ${field}`)
      }
      // The authorization the employer accepts, word for word
      page.assertTextIncludes(MANDATE_TEXT)
      // One page: the navigation names it once, at /cards
      assert.match(page.text(), /href="\/cards"[^>]*>Payment methods<\/a>/)
      assert.notInclude(page.text(), 'js.stripe.com')
    }
  })

  test('contractors and guests cannot reach bank accounts', async ({ client }) => {
    const { createUser } = await import('#tests/helpers/users')
    const contractor = await createUser({ role: 'contractor' })
    const guest = await client.get('/bank-accounts').redirects(0)
    guest.assertStatus(302)
    guest.assertHeader('location', '/login')
    const forbidden = await client.get('/bank-accounts').loginAs(contractor)
    forbidden.assertStatus(403)
  })
})

test.group('Bank accounts: saving and verifying', (group) => {
  group.each.setup(() => truncateAllTables())

  test('saved with the mandate recorded on Stripe and here; only the bank name and last 4 kept', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer({ fullName: 'Erin Employer' })

    // A number of its own (the sandbox's test numbers are listed on the page)
    const accountNumber = '000987654321'
    const response = await postBankAccount(client, employer, { account_number: accountNumber })

    response.assertHeader('location', '/bank-accounts')
    assert.match(
      String(response.flashMessage('success')),
      /^STRIPE TEST BANK ···· 4321 is saved\. Two small deposits/
    )
    const row = await BankAccount.firstOrFail()
    assert.equal(row.employerId, employer.id)
    assert.equal(row.status, 'requires_verification')
    assert.equal(row.bankName, 'STRIPE TEST BANK')
    assert.equal(row.last4, '4321')
    assert.equal(row.accountHolderType, 'individual')
    assert.equal(row.microdepositType, 'descriptor_code')
    assert.isNotNull(row.microdepositsArriveAt)
    // The acceptance, locally: when, from where, with what
    assert.equal(row.mandateVersion, MANDATE_VERSION)
    assert.equal(row.mandateIp, '127.0.0.1')
    assert.equal(row.mandateUserAgent, TEST_CLIENT.userAgent)
    assert.isBelow(Math.abs(row.mandateAcceptedAt.diffNow('seconds').seconds), 60)
    // …and on Stripe's Mandate
    const [setupIntent] = await setupIntentsOf(employer)
    assert.equal(setupIntent.id, row.stripeSetupIntentId)
    assert.equal(setupIntent.next_action?.type, 'verify_with_microdeposits')
    const mandate = await stripe().mandates.retrieve(row.stripeMandateId!)
    assert.equal(mandate.type, 'multi_use')
    assert.equal(mandate.customer_acceptance.type, 'online')
    assert.deepEqual(mandate.customer_acceptance.online, {
      ip_address: '127.0.0.1',
      user_agent: TEST_CLIENT.userAgent,
    })
    // The account number is nowhere in the database, the session or the flash
    assert.notInclude(await everythingIn('bank_accounts', 'user_profiles'), accountNumber)
    assert.notInclude(JSON.stringify(response.session()), accountNumber)
    assert.notInclude(JSON.stringify(response.flashMessages()), accountNumber)

    const page = await followRedirect(client, response)
    page.assertTextIncludes('STRIPE TEST BANK ···· 4321')
    page.assertTextIncludes('Confirm the deposits')
    page.assertTextIncludes(`action="/bank-accounts/${row.id}/verify"`)
    assert.notInclude(page.text(), accountNumber)
  })

  test('the mandate must be accepted: nothing is sent to Stripe, the number is not kept', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer()

    for (const mandate of [undefined, '', 'off']) {
      const response = await postBankAccount(client, employer, { mandate })
      response.assertHeader('location', '/bank-accounts')
      const errors = response.flashMessage('inputErrorsBag') as Record<string, string[]>
      assert.deepEqual(errors.mandate, ['Tick the box to authorize Crewpay to debit this account.'])
      assert.notInclude(JSON.stringify(response.session()), SUCCESS_ACCOUNT)
      // What was typed comes back, except the account number
      assert.equal(response.flashMessage('account_holder_name'), 'Erin Employer')
      assert.isUndefined(response.flashMessage('account_number'))
    }
    assert.lengthOf(await BankAccount.all(), 0)
    assert.lengthOf(await setupIntentsOf(employer), 0)
  })

  test('refuses {label} with a message on the field, asking Stripe nothing')
    .with([
      {
        label: 'a short routing number',
        fields: { routing_number: '11000' },
        field: 'routing_number',
      },
      {
        label: 'a routing number failing its checksum',
        fields: { routing_number: '110000001' },
        field: 'routing_number',
      },
      {
        label: 'letters in the account number',
        fields: { account_number: '0001234x6789' },
        field: 'account_number',
      },
      {
        label: 'a 3-digit account number',
        fields: { account_number: '123' },
        field: 'account_number',
      },
      {
        label: 'an empty holder name',
        fields: { account_holder_name: '' },
        field: 'account_holder_name',
      },
      {
        label: 'a control character in the name',
        fields: { account_holder_name: 'Erin\u0000' },
        field: 'account_holder_name',
      },
      {
        label: 'an unknown holder type',
        fields: { account_holder_type: 'trust' },
        field: 'account_holder_type',
      },
    ])
    .run(async ({ client, assert }, { fields, field }) => {
      const employer = await createEmployer()
      const response = await postBankAccount(client, employer, fields)
      response.assertHeader('location', '/bank-accounts')
      const errors = response.flashMessage('inputErrorsBag') as Record<string, string[]>
      assert.properties(errors, [field])
      assert.lengthOf(await BankAccount.all(), 0)
      assert.lengthOf(await setupIntentsOf(employer), 0)
    })

  test('the same form sent twice saves one bank account', async ({ client, assert }) => {
    const employer = await createEmployer()
    const formToken = randomUUID()
    const [first, second] = await Promise.all([
      postBankAccount(client, employer, { form_token: formToken }),
      postBankAccount(client, employer, { form_token: formToken }),
    ])
    for (const response of [first, second]) {
      response.assertHeader('location', '/bank-accounts')
    }
    assert.lengthOf(await BankAccount.all(), 1)
    assert.lengthOf(await setupIntentsOf(employer), 1)
  })

  test('the right amounts (or code) verify it; it can then pay', async ({ client, assert }) => {
    const employer = await createEmployer()
    const byAmounts = await addTestBankAccount(employer)
    const byCode = await addTestBankAccount(employer, '000123456780')

    const amounts = await postVerification(client, employer, byAmounts.id, {
      amount_1: '45',
      amount_2: '32',
    })
    const code = await postVerification(client, employer, byCode.id, {
      descriptor_code: 'sm11aa',
    })

    assert.equal(
      amounts.flashMessage('success'),
      'STRIPE TEST BANK ···· 6789 is verified: you can pay orders from it.'
    )
    assert.equal(
      code.flashMessage('success'),
      'STRIPE TEST BANK ···· 6780 is verified: you can pay orders from it.'
    )
    for (const row of [byAmounts, byCode]) {
      await row.refresh()
      assert.equal(row.status, 'verified')
      assert.equal(row.verificationMethod, 'microdeposits')
      assert.isNotNull(row.verifiedAt)
      const method = await stripe().paymentMethods.retrieve(row.stripePaymentMethodId!)
      assert.equal(method.customer, await customerIdOf(employer))
      const mandate = await stripe().mandates.retrieve(row.stripeMandateId!)
      assert.equal(mandate.status, 'active')
    }
    assert.lengthOf(await bankMethodsOnStripe(employer), 2)
    const page = await followRedirect(client, code)
    assert.equal(page.text().match(/>Verified</g)?.length, 2)
  })

  test('wrong amounts say how many attempts are left; the account keeps waiting', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer()
    const row = await addTestBankAccount(employer)

    const first = await postVerification(client, employer, row.id, {
      amount_1: '12',
      amount_2: '34',
    })
    const second = await postVerification(client, employer, row.id, {
      descriptor_code: 'SM99ZZ',
    })

    assert.equal(
      first.flashMessage('error'),
      'These amounts do not match the deposits sent to your account. You have 9 attempts left.'
    )
    assert.equal(
      second.flashMessage('error'),
      'This code does not match the one on the deposit sent to your account. You have 8 attempts left.'
    )
    await row.refresh()
    assert.equal(row.status, 'requires_verification')
    // The right amounts still work after that
    const right = await postVerification(client, employer, row.id, {
      amount_1: '32',
      amount_2: '45',
    })
    assert.match(String(right.flashMessage('success')), /is verified/)
  })

  test('the same attempt sent twice (a double click) costs one attempt', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer()
    const row = await addTestBankAccount(employer)
    const formToken = randomUUID()
    const wrong = { amount_1: '1', amount_2: '2', form_token: formToken }
    await postVerification(client, employer, row.id, wrong)
    const again = await postVerification(client, employer, row.id, wrong)
    assert.match(String(again.flashMessage('error')), /You have 9 attempts left\.$/)
    const next = await postVerification(client, employer, row.id, { amount_1: '1', amount_2: '2' })
    assert.match(String(next.flashMessage('error')), /You have 8 attempts left\.$/)
  })

  test('too many attempts, or a timeout, close the account with what to do next', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer()
    const tooMany = await addTestBankAccount(employer)
    const late = await addTestBankAccount(employer, '000123456781')

    const exceeded = await postVerification(client, employer, tooMany.id, {
      amount_1: '10',
      amount_2: '11',
    })
    const timedOut = await postVerification(client, employer, late.id, {
      descriptor_code: 'SM44DD',
    })

    assert.match(String(exceeded.flashMessage('error')), /^Too many wrong amounts were entered/)
    assert.match(String(exceeded.flashMessage('error')), /add it again/)
    assert.match(String(timedOut.flashMessage('error')), /not confirmed within 10 days/)
    await tooMany.refresh()
    await late.refresh()
    assert.equal(tooMany.status, 'failed')
    assert.equal(tooMany.failureCode, 'payment_method_microdeposit_verification_attempts_exceeded')
    assert.equal(late.status, 'failed')
    assert.equal(late.failureCode, 'payment_method_microdeposit_verification_timeout')
    assert.lengthOf(await bankMethodsOnStripe(employer), 0)
    // Another attempt is refused with the same explanation, without asking Stripe
    const after = await postVerification(client, employer, tooMany.id, {
      amount_1: '32',
      amount_2: '45',
    })
    assert.match(String(after.flashMessage('error')), /^Too many wrong amounts were entered/)
    const page = await followRedirect(client, after)
    assert.equal(page.text().match(/>Not verified</g)?.length, 2)
  })

  test('refuses malformed verifications with a message, costing no attempt', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer()
    const row = await addTestBankAccount(employer)

    const cases: [Record<string, string>, RegExp][] = [
      [{}, /Enter the two deposit amounts in cents, or the code/],
      [{ amount_1: '32' }, /Enter the two deposit amounts in cents, or the code/],
      [{ amount_1: '0', amount_2: '45' }, /from 1 to 99/],
      [{ amount_1: '0.32', amount_2: '45' }, /from 1 to 99/],
      [{ amount_1: '32', amount_2: '45', descriptor_code: 'SM11AA' }, /not both/],
      [{ descriptor_code: 'XX11AA' }, /starts with SM/],
    ]
    for (const [fields, message] of cases) {
      const response = await postVerification(client, employer, row.id, fields)
      response.assertStatus(302)
      const errors = response.flashMessage('inputErrorsBag') as Record<string, string[]> | undefined
      const said = [response.flashMessage('error'), ...Object.values(errors ?? {}).flat()]
      assert.isTrue(
        said.some((text) => message.test(String(text))),
        `${JSON.stringify(fields)}: ${JSON.stringify(said)}`
      )
    }
    const wrong = await postVerification(client, employer, row.id, {
      amount_1: '1',
      amount_2: '2',
    })
    assert.match(String(wrong.flashMessage('error')), /You have 9 attempts left\.$/)
  })

  test('make default and remove work as for cards', async ({ client, assert }) => {
    const employer = await createEmployer()
    const row = await addVerifiedBankAccount(employer)
    const card = await defaultOf(employer)

    const made = await client
      .post(`/bank-accounts/${row.id}/default`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)

    assert.equal(
      made.flashMessage('success'),
      'STRIPE TEST BANK ···· 6789 is now your default payment method.'
    )
    assert.equal(await defaultOf(employer), row.stripePaymentMethodId)
    const customer = await stripe().customers.retrieve(await customerIdOf(employer))
    assert.equal(
      (customer as { invoice_settings: { default_payment_method: string } }).invoice_settings
        .default_payment_method,
      row.stripePaymentMethodId
    )
    const page = await followRedirect(client, made)
    assert.match(
      page.text(),
      /STRIPE TEST BANK ···· 6789<\/h3>\s*<span>\s*<span class="badge done">Verified<\/span>\s*<span class="badge ok">Default<\/span>/
    )

    const removed = await client
      .delete(`/bank-accounts/${row.id}`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)

    assert.equal(
      removed.flashMessage('success'),
      'STRIPE TEST BANK ···· 6789 removed. Visa ending 4242 is now your default payment method.'
    )
    await row.refresh()
    assert.equal(row.status, 'removed')
    assert.isNotNull(row.removedAt)
    assert.lengthOf(await bankMethodsOnStripe(employer), 0)
    // As when a default card is removed: the newest card becomes the default
    assert.equal(await defaultOf(employer), card)
    const after = await followRedirect(client, removed)
    after.assertTextIncludes('You have no bank accounts yet.')
    after.assertTextIncludes('Visa ···· 4242')
  })

  test('an account waiting for its deposits cannot be made default; removing cancels it', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer()
    const row = await addTestBankAccount(employer)
    const made = await client
      .post(`/bank-accounts/${row.id}/default`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)
    assert.equal(
      made.flashMessage('error'),
      'Verify STRIPE TEST BANK ···· 6789 before making it your default.'
    )
    await client.delete(`/bank-accounts/${row.id}`).loginAs(employer).withCsrfToken()
    const setupIntent = await stripe().setupIntents.retrieve(row.stripeSetupIntentId!)
    assert.equal(setupIntent.status, 'canceled')
    await row.refresh()
    assert.equal(row.status, 'removed')
  })

  test("another employer's bank account is a 404, and nothing changes", async ({
    client,
    assert,
  }) => {
    const owner = await createEmployer()
    const other = await createEmployer()
    const waiting = await addTestBankAccount(owner)
    const verified = await addVerifiedBankAccount(owner, '000123456780')

    const attempts = [
      client.post(`/bank-accounts/${waiting.id}/verify`).form({ amount_1: '32', amount_2: '45' }),
      client.post(`/bank-accounts/${verified.id}/default`),
      client.delete(`/bank-accounts/${verified.id}`),
      client.post('/bank-accounts/999999/verify').form({ amount_1: '32', amount_2: '45' }),
      client.post('/bank-accounts/abc/default'),
    ]
    for (const attempt of attempts) {
      const response = await attempt.loginAs(other).withCsrfToken().redirects(0)
      response.assertStatus(404)
    }
    await waiting.refresh()
    await verified.refresh()
    assert.equal(waiting.status, 'requires_verification')
    assert.equal(verified.status, 'verified')
    assert.lengthOf(await bankMethodsOnStripe(owner), 1)
    // Nor can it be paid with by the other employer
    const page = await client.get('/bank-accounts').loginAs(other)
    assert.notInclude(page.text(), '6780')
  })

  test('the setup_intent webhook records a verification that failed on Stripe’s clock', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer()
    const row = await addTestBankAccount(employer, '000666666661')
    const { advanceSandboxClock, signedWebhook } = await import('#tests/helpers/stripe')
    const { runJobs } = await import('#tests/helpers/jobs')
    // The deposits never arrive: Stripe fails the SetupIntent at their arrival date
    await advanceSandboxClock(4 * 86_400)
    const events = await stripe().events.list({ type: 'setup_intent.setup_failed' })
    const event = events.data.find(
      (candidate) => (candidate.data.object as { id: string }).id === row.stripeSetupIntentId
    )!
    const { payload, signature } = signedWebhook(event as never)
    const delivered = await client
      .post('/stripe/webhook')
      .header('stripe-signature', signature)
      .header('content-type', 'application/json')
      .json(JSON.parse(payload))
    delivered.assertStatus(200)
    await runJobs(['apply_stripe_event'])
    await row.refresh()
    assert.equal(row.status, 'failed')
    assert.equal(row.failureCode, 'payment_method_microdeposit_failed')
    assert.match(row.failureMessage!, /could not be sent to this account/)
  })
})

test.group('Bank accounts: nothing of the number in the logs', () => {
  test('the app logger redacts account numbers wherever they appear', async ({ assert }) => {
    let written = ''
    const sink = new Writable({
      write(chunk, _encoding, done) {
        written += chunk.toString()
        done()
      },
    })
    // The app's logger configuration, writing here instead of stdout
    const logger = new Logger({
      ...loggerConfig.loggers.app,
      level: 'info',
      transport: undefined,
      destination: sink,
    })
    logger.info({ account_number: SUCCESS_ACCOUNT }, 'top level')
    logger.info({ body: { account_number: SUCCESS_ACCOUNT } }, 'in a body')
    logger.info(
      { params: { payment_method_data: { us_bank_account: { account_number: SUCCESS_ACCOUNT } } } },
      'in Stripe parameters'
    )
    logger.info({ form: { fields: { input: { account_number: SUCCESS_ACCOUNT } } } }, 'deep')
    assert.equal(written.split('\n').filter(Boolean).length, 4)
    assert.notInclude(written, SUCCESS_ACCOUNT)
    assert.include(written, '[redacted]')
  })
})

test.group('Bank accounts: with real Stripe (Financial Connections)', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    const config = app.config.get<StripeConfig>('stripe')
    const saved = { mode: config.mode, publishableKey: config.publishableKey }
    app.config.set('stripe.mode', 'stripe')
    app.config.set('stripe.publishableKey', 'pk_test_crewpay123')
    return () => {
      app.config.set('stripe.mode', saved.mode)
      app.config.set('stripe.publishableKey', saved.publishableKey)
    }
  })

  test('the page links the account with Stripe.js; account numbers are refused', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer()
    const page = await client.get('/bank-accounts').loginAs(employer)
    page.assertTextIncludes('id="add-bank-form" data-publishable-key="pk_test_crewpay123"')
    page.assertTextIncludes('<script src="/js/bank_accounts.js"></script>')
    page.assertTextIncludes('Link your bank account')
    page.assertTextIncludes(MANDATE_TEXT)
    assert.notInclude(page.text(), 'name="account_number"')

    const numbers = await postBankAccount(client, employer)
    numbers.assertStatus(302)
    assert.match(String(numbers.flashMessage('error')), /entered in Stripe’s secure form/)
    assert.lengthOf(await BankAccount.all(), 0)
  })

  test('the SetupIntent Stripe.js confirms is read back from Stripe and recorded', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer()
    const formToken = randomUUID()

    // 1. The page's script asks for a SetupIntent (JSON), the mandate ticked
    const started = await client
      .post('/bank-accounts/collect')
      .loginAs(employer)
      .withCsrfToken()
      .accept('json')
      .header('user-agent', TEST_CLIENT.userAgent)
      .form({ account_holder_type: 'company', mandate: 'on', form_token: formToken })
    started.assertStatus(200)
    const { bank_account: bankAccountId, client_secret: clientSecret } = started.body()
    const setupIntentId = String(clientSecret).split('_secret_')[0]
    const pending = await BankAccount.findOrFail(bankAccountId)
    assert.equal(pending.status, 'pending')
    assert.equal(pending.stripeSetupIntentId, setupIntentId)
    assert.equal(pending.accountHolderType, 'company')
    const created = await stripe().setupIntents.retrieve(setupIntentId)
    assert.equal(created.status, 'requires_payment_method')
    assert.deepEqual(created.payment_method_types, ['us_bank_account'])
    // Not shown while Stripe.js has not linked anything
    const listed = await client.get('/bank-accounts').loginAs(employer)
    listed.assertTextIncludes('You have no bank accounts yet.')
    const mandateRequired = await client
      .post('/bank-accounts/collect')
      .loginAs(employer)
      .withCsrfToken()
      .accept('json')
      .form({ account_holder_type: 'company', form_token: randomUUID() })
    mandateRequired.assertStatus(422)

    // 2. Stripe.js links an account (instant verification) and confirms with the mandate
    await stripe().setupIntents.confirm(setupIntentId, {
      payment_method: 'pm_usBankAccount_success',
      mandate_data: {
        customer_acceptance: {
          type: 'online',
          online: { ip_address: '198.51.100.4', user_agent: 'Stripe.js' },
        },
      },
    })

    // 3. The form comes back with the bank account's id
    const finished = await client
      .post('/bank-accounts')
      .loginAs(employer)
      .withCsrfToken()
      .header('user-agent', TEST_CLIENT.userAgent)
      .form({ bank_account: String(bankAccountId), mandate: 'on' })
      .redirects(0)

    finished.assertHeader('location', '/bank-accounts')
    assert.match(String(finished.flashMessage('success')), /is saved and verified/)
    const row = await BankAccount.findOrFail(bankAccountId)
    assert.equal(row.status, 'verified')
    assert.equal(row.verificationMethod, 'instant')
    assert.equal(row.bankName, 'STRIPE TEST BANK')
    assert.match(row.last4!, /^\d{4}$/)
    assert.equal(row.mandateIp, '127.0.0.1')

    // Another employer cannot finish it
    const other = await createEmployer()
    const stolen = await client
      .post('/bank-accounts')
      .loginAs(other)
      .withCsrfToken()
      .form({ bank_account: String(bankAccountId), mandate: 'on' })
      .redirects(0)
    stolen.assertStatus(404)
  })
})
