import { test } from '@japa/runner'
import type Stripe from 'stripe'
import User from '#models/user'
import StripeEvent from '#models/stripe_event'
import { runJobs } from '#tests/helpers/jobs'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { followRedirect } from '#tests/helpers/http'
import { createUser } from '#tests/helpers/users'
import {
  advanceSandboxClock,
  createEmployer,
  profileOf,
  signedWebhook,
} from '#tests/helpers/stripe'
import { BANK, DETAILS, pngImage, postForm, statusOf } from '#tests/helpers/onboarding'
import { withStripeUnreachable } from '#tests/helpers/stripe'
import { ensureConnectAccount } from '#actions/onboarding/ensure_account'

const contractorSignup = {
  full_name: 'Carla Contractor',
  email: 'carla@example.com',
  password: 'paint-the-walls-2026',
  role: 'contractor',
}

test.group('Onboarding: the Connect account', (group) => {
  group.each.setup(() => truncateAllTables())

  test('signup queues a Custom account that requests card payments and transfers', async ({
    client,
    assert,
  }) => {
    const response = await client
      .post('/signup')
      .withCsrfToken()
      .form(contractorSignup)
      .redirects(0)

    response.assertStatus(302)
    await runJobs(['provision_stripe_identity'])
    const user = await User.findByOrFail('email', 'carla@example.com')
    const profile = await profileOf(user)
    assert.match(profile.stripeId!, /^acct_/)
    const account = await stripe().accounts.retrieve(profile.stripeId!)
    assert.equal(account.type, 'custom')
    assert.equal(account.country, 'US')
    assert.equal(account.email, 'carla@example.com')
    assert.equal(account.metadata?.user_id, String(user.id))
    assert.sameMembers(Object.keys(account.capabilities ?? {}), ['card_payments', 'transfers'])

    const page = await client.get('/onboarding').loginAs(user)
    page.assertStatus(200)
    assert.equal(statusOf(page), 'action_required')
    // The first step due, with what it needs in one sentence (not one line per Stripe field)
    page.assertTextIncludes('Step 1 of 4')
    page.assertTextIncludes('action="/onboarding/details"')
    assert.notInclude(page.text(), 'action="/onboarding/bank"')
    const todo = [...page.text().matchAll(/<ul class="todo">([\s\S]*?)<\/ul>/g)].flatMap((list) =>
      [...list[1].matchAll(/<li>([^<]*)<\/li>/g)].map((item) => item[1])
    )
    assert.deepEqual(todo, [
      'Enter your legal name, date of birth, phone number, home address and the last 4 digits of your SSN.',
    ])
  })

  test('a contractor whose account could not be created at signup gets it on /onboarding', async ({
    client,
    assert,
  }) => {
    const signup = await withStripeUnreachable(() =>
      client
        .post('/signup')
        .withCsrfToken()
        .form({ ...contractorSignup, email: 'offline@example.com' })
        .redirects(0)
    )
    signup.assertStatus(302)
    signup.assertHeader('location', '/onboarding')
    const user = await User.findByOrFail('email', 'offline@example.com')
    const afterSignup = await profileOf(user)
    assert.isNull(afterSignup.stripeId)

    // Still unreachable: the page explains, nothing breaks
    const offline = await withStripeUnreachable(() => client.get('/onboarding').loginAs(user))
    offline.assertStatus(200)
    offline.assertTextIncludes('Stripe is unreachable right now')
    assert.equal(statusOf(offline), 'setting_up')
    const stillOffline = await profileOf(user)
    assert.isNull(stillOffline.stripeId)

    const page = await client.get('/onboarding').loginAs(user)
    page.assertStatus(200)
    assert.equal(statusOf(page), 'action_required')
    const profile = await profileOf(user)
    assert.match(profile.stripeId!, /^acct_/)
    assert.include(profile.requirementsCurrentlyDue, 'external_account')

    // The same idempotency key every time: one account for this contractor
    assert.equal(await ensureConnectAccount(user), profile.stripeId)
    const accounts = await stripe().accounts.list({ limit: 100 })
    assert.deepEqual(
      accounts.data
        .filter((account) => account.email === 'offline@example.com')
        .map((account) => account.id),
      [profile.stripeId]
    )
  })

  test('employers cannot reach the onboarding or balance pages', async ({ client, assert }) => {
    const employer = await createEmployer({ email: 'erin@example.com' }, null)
    const before = await profileOf(employer)

    for (const path of ['/onboarding', '/balance']) {
      const page = await client.get(path).loginAs(employer)
      page.assertStatus(403)
      page.assertTextIncludes('This page is for contractor accounts.')
    }
    for (const [path, form] of [
      ['/onboarding/details', DETAILS],
      ['/onboarding/terms', { accept: 'on' }],
      ['/onboarding/bank', BANK],
    ] as const) {
      const response = await postForm(client, employer, path, form)
      response.assertStatus(403)
    }
    const upload = await client
      .post('/onboarding/documents')
      .loginAs(employer)
      .withCsrfToken()
      .file('document_front', pngImage(), { filename: 'id.png' })
    upload.assertStatus(403)

    const after = await profileOf(employer)
    assert.equal(after.stripeId, before.stripeId)
    assert.match(after.stripeId!, /^cus_/)
    assert.isNull(after.tosAcceptedAt)
    assert.isNull(after.bankLast4)
  })

  test('guests are sent to the login page', async ({ client }) => {
    for (const path of ['/onboarding', '/balance']) {
      const response = await client.get(path).redirects(0)
      response.assertStatus(302)
      response.assertHeader('location', '/login')
    }
  })
})

test.group('Onboarding: status', (group) => {
  group.each.setup(() => truncateAllTables())

  test('the happy path through the pages reaches Active', async ({ client, assert }) => {
    const contractor = await createUser({ role: 'contractor', email: 'carla@example.com' })

    const details = await postForm(client, contractor, '/onboarding/details', DETAILS)
    details.assertStatus(302)
    details.assertHeader('location', '/onboarding')
    assert.equal(details.flashMessage('success'), 'Your details were sent to Stripe.')

    const terms = await postForm(client, contractor, '/onboarding/terms', { accept: 'on' })
    assert.equal(
      terms.flashMessage('success'),
      'You accepted the Stripe Connected Account Agreement.'
    )
    const bank = await postForm(client, contractor, '/onboarding/bank', BANK)
    assert.equal(bank.flashMessage('success'), 'Your bank account was added.')

    const pending = await client.get('/onboarding').loginAs(contractor)
    pending.assertStatus(200)
    assert.equal(statusOf(pending), 'pending')
    pending.assertTextIncludes('Verification pending')
    pending.assertTextIncludes('Your identity (name, date of birth and SSN)')
    let profile = await profileOf(contractor)
    assert.isFalse(profile.chargesEnabled)
    assert.deepEqual(profile.requirementsCurrentlyDue, [])
    assert.include(profile.requirementsPendingVerification, 'individual.dob.day')
    assert.equal(profile.disabledReason, 'requirements.pending_verification')

    // Stripe's checks are asynchronous: the sandbox resolves them after 60 s
    await advanceSandboxClock(120)

    const active = await client.get('/onboarding').loginAs(contractor)
    active.assertStatus(200)
    assert.equal(statusOf(active), 'active')
    active.assertTextIncludes('You can take orders and receive payouts.')
    // Nothing is due: no form, every step done but the optional document
    assert.notInclude(active.text(), '<form method="POST" action="/onboarding/')
    for (const step of ['details', 'terms', 'bank']) {
      active.assertTextIncludes(`data-step="${step}" data-step-state="done"`)
    }
    active.assertTextIncludes('data-step="documents" data-step-state="optional"')
    const bankStep = await client.get('/onboarding?step=bank').loginAs(contractor)
    bankStep.assertTextIncludes('STRIPE TEST BANK account ending in 6789')
    profile = await profileOf(contractor)
    assert.isTrue(profile.chargesEnabled)
    assert.isTrue(profile.payoutsEnabled)
    assert.equal(profile.transfersCapability, 'active')
    assert.isNull(profile.disabledReason)
    assert.deepEqual(profile.requirementsPendingVerification, [])
    const account = await stripe().accounts.retrieve(profile.stripeId!)
    assert.isTrue(account.charges_enabled)
    assert.equal(account.individual?.first_name, 'Jenny')
    assert.equal(account.business_profile?.mcc, '7299')
  })

  test('details Stripe cannot match ask for an ID document; uploading one through the page reaches Active', async ({
    client,
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    // A real-looking date of birth: the sandbox's identity check fails it
    await postForm(client, contractor, '/onboarding/details', { ...DETAILS, dob: '1990-05-17' })
    await postForm(client, contractor, '/onboarding/terms', { accept: 'on' })
    await postForm(client, contractor, '/onboarding/bank', BANK)
    await advanceSandboxClock(120)

    const asked = await client.get('/onboarding').loginAs(contractor)
    assert.equal(statusOf(asked), 'action_required')
    asked.assertTextIncludes('Upload a photo or scan of a government-issued ID')
    asked.assertTextIncludes('Stripe could not match your name, date of birth and SSN.')
    let profile = await profileOf(contractor)
    assert.include(profile.requirementsCurrentlyDue, 'individual.verification.document')
    assert.equal(profile.requirementsErrors[0].code, 'verification_failed_keyed_identity')

    const upload = await client
      .post('/onboarding/documents')
      .loginAs(contractor)
      .withCsrfToken()
      .file('document_front', pngImage(), { filename: 'license.png' })
      .redirects(0)
    upload.assertStatus(302)
    assert.equal(
      upload.flashMessage('success'),
      'Your documents were sent to Stripe for verification.'
    )

    const checking = await client.get('/onboarding').loginAs(contractor)
    assert.equal(statusOf(checking), 'pending')
    checking.assertTextIncludes('Your ID document')

    await advanceSandboxClock(120)
    const active = await client.get('/onboarding').loginAs(contractor)
    assert.equal(statusOf(active), 'active')
    profile = await profileOf(contractor)
    assert.isTrue(profile.chargesEnabled)
    assert.deepEqual(profile.requirementsErrors, [])
  })

  test('an address Stripe cannot match asks for proof of address; uploading only that reaches Active', async ({
    client,
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    await postForm(client, contractor, '/onboarding/details', {
      ...DETAILS,
      address_line1: 'address_no_match',
    })
    await postForm(client, contractor, '/onboarding/terms', { accept: 'on' })
    await postForm(client, contractor, '/onboarding/bank', BANK)
    await advanceSandboxClock(120)

    const asked = await client.get('/onboarding').loginAs(contractor)
    assert.equal(statusOf(asked), 'action_required')
    let profile = await profileOf(contractor)
    assert.deepEqual(profile.requirementsCurrentlyDue, [
      'individual.verification.additional_document',
    ])
    assert.equal(profile.requirementsErrors[0].code, 'verification_failed_address_match')

    const upload = await client
      .post('/onboarding/documents')
      .loginAs(contractor)
      .withCsrfToken()
      .file('additional_document', Buffer.from('%PDF-1.4\n% utility bill\n%%EOF\n'), {
        filename: 'utility-bill.pdf',
      })
      .redirects(0)
    upload.assertStatus(302)
    assert.isUndefined(upload.flashMessage('inputErrorsBag'))
    assert.equal(
      upload.flashMessage('success'),
      'Your documents were sent to Stripe for verification.'
    )
    const account = await stripe().accounts.retrieve(profile.stripeId!)
    const proof = account.individual?.verification?.additional_document?.front
    assert.match(typeof proof === 'string' ? proof : '', /^file_/)
    assert.isNotOk(account.individual?.verification?.document?.front)

    const checking = await client.get('/onboarding').loginAs(contractor)
    assert.equal(statusOf(checking), 'pending')
    checking.assertTextIncludes('Your proof of address')

    await advanceSandboxClock(120)
    const active = await client.get('/onboarding').loginAs(contractor)
    assert.equal(statusOf(active), 'active')
    profile = await profileOf(contractor)
    assert.isTrue(profile.chargesEnabled)
    assert.deepEqual(profile.requirementsErrors, [])
  })

  test('SSN 111111111 gives Action required with the reason shown', async ({ client, assert }) => {
    const contractor = await createUser({ role: 'contractor' })
    await postForm(client, contractor, '/onboarding/details', {
      ...DETAILS,
      id_number: '111-11-1111',
    })
    await postForm(client, contractor, '/onboarding/terms', { accept: 'on' })
    await postForm(client, contractor, '/onboarding/bank', BANK)
    await advanceSandboxClock(120)

    const page = await client.get('/onboarding').loginAs(contractor)
    page.assertStatus(200)
    assert.equal(statusOf(page), 'action_required')
    page.assertTextIncludes('Action required')
    page.assertTextIncludes(
      'Stripe could not verify your SSN or ITIN. Upload a photo of a government-issued ID, or correct the number under Details.'
    )
    // Stripe's own reason, shown as Stripe wrote it
    page.assertTextIncludes('The ID number provided could not be verified.')
    const profile = await profileOf(contractor)
    assert.deepEqual(profile.requirementsCurrentlyDue, ['individual.verification.document'])
    assert.deepEqual(
      profile.requirementsErrors.map((error) => [error.requirement, error.code]),
      [['individual.verification.document', 'verification_failed_id_number_match']]
    )
    assert.isFalse(profile.chargesEnabled)
  })

  test('a failed identity document (file_identity_document_failure) is explained on the page', async ({
    client,
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    await postForm(client, contractor, '/onboarding/details', DETAILS)
    await postForm(client, contractor, '/onboarding/terms', { accept: 'on' })
    await postForm(client, contractor, '/onboarding/bank', BANK)
    const { stripeId } = await profileOf(contractor)
    // Stripe's magic file id cannot come through an upload: set it through the API
    await stripe().accounts.update(stripeId!, {
      individual: { verification: { document: { front: 'file_identity_document_failure' } } },
    })

    const page = await client.get('/onboarding').loginAs(contractor)
    page.assertStatus(200)
    assert.equal(statusOf(page), 'action_required')
    page.assertTextIncludes(
      'The ID document was not accepted. Upload a clear color photo of your ID.'
    )
    page.assertTextIncludes('A test data helper was supplied to simulate verification failure.')
    page.assertTextIncludes('Upload a photo or scan of a government-issued ID')
    const profile = await profileOf(contractor)
    assert.include(profile.requirementsCurrentlyDue, 'individual.verification.document')
    assert.equal(profile.requirementsErrors[0].code, 'verification_document_failed_test_mode')
  })

  test('account.updated webhooks update the snapshot', async ({ client, assert }) => {
    const contractor = await createUser({ role: 'contractor' })
    const accountId = await ensureConnectAccount(contractor)
    const unsynced = await profileOf(contractor)
    assert.isNull(unsynced.stripeSyncedAt)

    // Onboarding finished behind the app's back (e.g. by support, through the API)
    await stripe().accounts.update(accountId, {
      business_type: 'individual',
      business_profile: { mcc: '7299', product_description: 'Painting' },
      individual: {
        first_name: 'Jenny',
        last_name: 'Rosen',
        email: 'jenny@example.com',
        phone: '0000000000',
        dob: { day: 1, month: 1, year: 1902 },
        address: {
          line1: 'address_full_match_sync',
          city: 'San Francisco',
          state: 'CA',
          postal_code: '94111',
        },
        id_number: '222222222',
      },
      tos_acceptance: { date: 1_700_000_000, ip: '203.0.113.7' },
      external_account: 'btok_us',
    })
    const account = await stripe().accounts.retrieve(accountId)
    const { payload, signature } = signedWebhook({
      type: 'account.updated',
      account: accountId,
      data: { object: account as unknown as Stripe.Account },
    })

    const response = await client
      .post('/stripe/webhook')
      .header('stripe-signature', signature)
      .header('content-type', 'application/json')
      .json(JSON.parse(payload))

    response.assertStatus(200)
    await runJobs(['apply_stripe_event'])
    const profile = await profileOf(contractor)
    assert.isTrue(profile.chargesEnabled)
    assert.isTrue(profile.payoutsEnabled)
    assert.equal(profile.transfersCapability, 'active')
    assert.deepEqual(profile.requirementsCurrentlyDue, [])
    assert.equal(profile.bankLast4, '6789')
    assert.equal(profile.tosAcceptedAt?.toUnixInteger(), 1_700_000_000)
    assert.isNotNull(profile.stripeSyncedAt)
    const stored = await StripeEvent.findByOrFail('type', 'account.updated')
    assert.equal(stored.account, accountId)
    assert.isNotNull(stored.processedAt)
    assert.isNull(stored.processingError)
  })

  test('with Stripe unreachable the page shows the last snapshot, Restricted with its reason', async ({
    client,
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    await client.get('/onboarding').loginAs(contractor)
    const profile = await profileOf(contractor)
    // The last thing Stripe told us (through a webhook): the account was rejected
    profile.merge({ disabledReason: 'rejected.fraud', chargesEnabled: false })
    await profile.save()

    const page = await withStripeUnreachable(() => client.get('/onboarding').loginAs(contractor))
    page.assertStatus(200)
    assert.equal(statusOf(page), 'restricted')
    page.assertTextIncludes('Restricted')
    page.assertTextIncludes('Stripe closed this account because of suspected fraud.')
    page.assertTextIncludes(
      'Stripe is unreachable right now: this is your status as Stripe last reported it.'
    )
    const kept = await profileOf(contractor)
    assert.equal(kept.disabledReason, 'rejected.fraud')

    // Once Stripe answers again, the page follows Stripe
    const live = await client.get('/onboarding').loginAs(contractor)
    assert.equal(statusOf(live), 'action_required')
    const followed = await profileOf(contractor)
    assert.equal(followed.disabledReason, 'requirements.past_due')
  })

  test('an account Stripe no longer knows: the page and the forms explain, never an error page', async ({
    client,
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    const accountId = await ensureConnectAccount(contractor)
    await client.get('/onboarding').loginAs(contractor)
    await stripe().accounts.del(accountId)

    const page = await client.get('/onboarding').loginAs(contractor)
    page.assertStatus(200)
    page.assertTextIncludes('Stripe could not return your payment account. Contact Crewpay support')

    const bank = await postForm(client, contractor, '/onboarding/bank', BANK)
    bank.assertStatus(302)
    bank.assertHeader('location', '/onboarding?step=bank')
    assert.equal(bank.flashMessage('error'), 'Stripe does not know this object any more.')
    assert.equal(bank.flashMessage('account_holder_name'), 'Jenny Rosen')
    assert.isUndefined(bank.flashMessage('account_number'))
    const profile = await profileOf(contractor)
    assert.equal(profile.stripeId, accountId)
    assert.isNull(profile.bankLast4)
    assert.equal(profile.onboardingRevision, 0)
  })

  test("a contractor never sees another contractor's onboarding", async ({ client, assert }) => {
    const jenny = await createUser({ role: 'contractor' })
    const other = await createUser({ role: 'contractor' })
    await postForm(client, jenny, '/onboarding/details', DETAILS)
    await postForm(client, jenny, '/onboarding/bank', BANK)

    const page = await client.get('/onboarding').loginAs(other)
    page.assertStatus(200)
    assert.notInclude(page.text(), 'Rosen')
    assert.notInclude(page.text(), '6789')
    assert.equal(statusOf(page), 'action_required')
    const [jennyProfile, otherProfile] = [await profileOf(jenny), await profileOf(other)]
    assert.notEqual(jennyProfile.stripeId, otherProfile.stripeId)
    assert.isNull(otherProfile.bankLast4)
    const otherAccount = await stripe().accounts.retrieve(otherProfile.stripeId!)
    assert.isNotOk(otherAccount.individual?.first_name)
  })

  test('the page shows what was typed back after a validation error', async ({ client }) => {
    const contractor = await createUser({ role: 'contractor' })
    const response = await postForm(client, contractor, '/onboarding/details', {
      ...DETAILS,
      first_name: 'Jennifer',
      address_postal_code: '9411',
    })
    const page = await followRedirect(client, response).loginAs(contractor)
    page.assertStatus(200)
    page.assertTextIncludes('Enter a 5-digit ZIP code (or ZIP+4, e.g. 94111-1234).')
    page.assertTextIncludes('value="Jennifer"')
  })
})
