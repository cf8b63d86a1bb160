import { randomUUID } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import proxyAddr from 'proxy-addr'
import Stripe from 'stripe'
import { errors as vineErrors } from '@vinejs/vine'
import type User from '#models/user'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { followRedirect } from '#tests/helpers/http'
import { createUser } from '#tests/helpers/users'
import { profileOf } from '#tests/helpers/stripe'
import { DomainError } from '#exceptions/domain_error'
import { contractorAccount, stripeFailure } from '#actions/onboarding/account_writes'
import {
  BANK,
  DETAILS,
  pngImage,
  postForm,
  statusOf,
  tmpFilesContaining,
} from '#tests/helpers/onboarding'
import { withStripeUnreachable } from '#tests/helpers/stripe'

/** What a form says when Stripe could not be reached (or answered with a 5xx) */
const UNREACHABLE =
  'Our payment provider could not be reached. Try again in a moment; a retry never charges twice.'

/** An upload as `.file()` takes it: the content and its options */
type UploadFile = [Buffer, { filename: string }]

interface Sender {
  client: ApiClient
  contractor: User
  employer: User
  file: UploadFile
}

async function contractorWithAccount() {
  const contractor = await createUser({ role: 'contractor' })
  const { ensureConnectAccount } = await import('#actions/onboarding/ensure_account')
  const accountId = await ensureConnectAccount(contractor)
  return { contractor, accountId }
}

async function accountOf(user: User) {
  const profile = await profileOf(user)
  return stripe().accounts.retrieve(profile.stripeId!)
}

/** Everything stored about the contractor, as text, to look for what must not be stored */
async function storedAbout(user: User) {
  const profiles = await db.from('user_profiles').where('user_id', user.id)
  const events = await db.from('stripe_events').select('payload')
  return JSON.stringify([profiles, events])
}

/** A date `years` years ago, as YYYY-MM-DD (the form's input, not an assertion on time) */
function yearsAgo(years: number, days = 0) {
  const date = new Date()
  date.setUTCFullYear(date.getUTCFullYear() - years)
  date.setUTCDate(date.getUTCDate() + days)
  return date.toISOString().slice(0, 10)
}

test.group('Onboarding: details', (group) => {
  group.each.setup(() => truncateAllTables())

  test('valid details reach Stripe as an individual with a business profile', async ({
    client,
    assert,
  }) => {
    const { contractor } = await contractorWithAccount()

    const response = await postForm(client, contractor, '/onboarding/details', {
      ...DETAILS,
      phone: '+1 (415) 555-0123',
      address_state: 'ca',
      address_postal_code: '94111-1234',
      id_number: '000-00-0000',
    })

    response.assertStatus(302)
    response.assertHeader('location', '/onboarding')
    assert.equal(response.flashMessage('success'), 'Your details were sent to Stripe.')
    const account = await accountOf(contractor)
    assert.equal(account.business_type, 'individual')
    assert.equal(account.business_profile?.mcc, '7299')
    assert.match(account.business_profile?.product_description ?? '', /Crewpay marketplace/)
    assert.equal(account.individual?.first_name, 'Jenny')
    assert.equal(account.individual?.last_name, 'Rosen')
    assert.equal(account.individual?.email, contractor.email)
    assert.equal(account.individual?.phone, '4155550123')
    assert.deepEqual(account.individual?.dob, { day: 1, month: 1, year: 1901 })
    assert.deepInclude(account.individual?.address, {
      line1: 'address_full_match',
      city: 'San Francisco',
      state: 'CA',
      postal_code: '94111-1234',
      country: 'US',
    })
    assert.isTrue(account.individual?.id_number_provided)
    assert.notInclude(account.requirements?.currently_due ?? [], 'individual.dob.day')

    const profile = await profileOf(contractor)
    assert.equal(profile.onboardingRevision, 1)
    assert.isNotNull(profile.stripeSyncedAt)
    assert.deepEqual(profile.requirementsCurrentlyDue, [
      'external_account',
      'tos_acceptance.date',
      'tos_acceptance.ip',
    ])
    assert.notInclude(await storedAbout(contractor), '000000000')

    // On to the next step due: the terms
    const page = await followRedirect(client, response).loginAs(contractor)
    page.assertTextIncludes('Your details were sent to Stripe.')
    assert.equal(statusOf(page), 'action_required')
    page.assertTextIncludes('Step 2 of 4')
    page.assertTextIncludes('Accept the Stripe Connected Account Agreement.')
    page.assertTextIncludes('data-step="details" data-step-state="pending"')
    // The details step shows what Stripe has
    const details = await client.get('/onboarding?step=details').loginAs(contractor)
    details.assertTextIncludes('value="Rosen"')
    details.assertTextIncludes('value="1901-01-01"')
    details.assertTextIncludes('<option value="CA" selected>California</option>')
    details.assertTextIncludes('Stripe has your number; leave empty to keep it.')
  })

  test('a state and a date of birth are taken as people write them', async ({ client, assert }) => {
    const { contractor } = await contractorWithAccount()
    for (const [state, dob, expected] of [
      ['California', '1901/01/01', 'CA'],
      ['new york', '19010101', 'NY'],
      ['  District of Columbia ', '1901-1-1', 'DC'],
      ['pr', '1901.01.01', 'PR'],
    ] as const) {
      const response = await postForm(client, contractor, '/onboarding/details', {
        ...DETAILS,
        address_state: state,
        dob,
      })
      response.assertHeader('location', '/onboarding')
      const account = await accountOf(contractor)
      assert.equal(account.individual?.address?.state, expected, state)
      assert.deepEqual(account.individual?.dob, { day: 1, month: 1, year: 1901 }, dob)
    }
  })

  test('refuses {title}')
    .with([
      {
        title: 'an impossible date',
        form: { dob: '2001-02-30' },
        field: 'dob',
        message: '2001-02-30 is not a real date.',
      },
      {
        title: 'a date in another format',
        form: { dob: '17/05/1990' },
        field: 'dob',
        message: 'Enter your date of birth as YYYY-MM-DD.',
      },
      {
        title: 'a date in the future',
        form: { dob: yearsAgo(-1) },
        field: 'dob',
        message: 'The date of birth must be in the past.',
      },
      {
        title: 'someone under 18',
        form: { dob: yearsAgo(18, 1) },
        field: 'dob',
        message: 'You must be at least 18 years old to be paid on Crewpay.',
      },
      {
        title: 'a bad ZIP code',
        form: { address_postal_code: '9411' },
        field: 'address_postal_code',
        message: 'Enter a 5-digit ZIP code (or ZIP+4, e.g. 94111-1234).',
      },
      {
        title: 'letters in the ZIP code',
        form: { address_postal_code: 'SW1A1' },
        field: 'address_postal_code',
        message: 'Enter a 5-digit ZIP code (or ZIP+4, e.g. 94111-1234).',
      },
      {
        title: 'a bad state',
        form: { address_state: 'ZZ' },
        field: 'address_state',
        message: 'Choose your state from the list (or type its name or 2-letter code).',
      },
      {
        title: 'a state that does not exist',
        form: { address_state: 'Narnia' },
        field: 'address_state',
        message: 'Choose your state from the list (or type its name or 2-letter code).',
      },
      {
        title: 'letters in the SSN',
        form: { id_number: '12345678a' },
        field: 'id_number',
        message: 'The SSN or ITIN can only contain digits.',
      },
      {
        title: 'a short SSN',
        form: { id_number: '12345' },
        field: 'id_number',
        message: 'The SSN or ITIN must have 9 digits.',
      },
      {
        title: 'letters in the last 4',
        form: { id_number: null, ssn_last_4: '12a4' },
        field: 'ssn_last_4',
        message: 'The last 4 of your SSN can only contain digits.',
      },
      {
        title: 'no SSN at all',
        form: { id_number: null },
        field: 'id_number',
        message: 'Enter your SSN or ITIN (9 digits), or the last 4 digits of your SSN.',
      },
      {
        title: 'letters in the phone number',
        form: { phone: 'call me' },
        field: 'phone',
        message: 'Enter a US phone number, digits only (e.g. 415 555 0123).',
      },
      {
        title: 'a short phone number',
        form: { phone: '555-0123' },
        field: 'phone',
        message: 'Enter a 10-digit US phone number (e.g. 415 555 0123).',
      },
      {
        title: 'a missing name',
        form: { first_name: null },
        field: 'first_name',
        message: 'Enter your first name.',
      },
    ])
    .run(async ({ client, assert }, { form, field, message }) => {
      const { contractor } = await contractorWithAccount()
      const body: Record<string, unknown> = { ...DETAILS, ...form }
      for (const key of Object.keys(body)) {
        if (body[key] === null) {
          delete body[key]
        }
      }

      const response = await postForm(client, contractor, '/onboarding/details', body)

      response.assertStatus(302)
      response.assertHeader('location', '/onboarding?step=details')
      assert.deepEqual(response.flashMessage('inputErrorsBag'), { [field]: [message] })
      // What was typed comes back, except the identity numbers
      assert.equal(response.flashMessage('last_name'), 'Rosen')
      assert.isUndefined(response.flashMessage('id_number'))
      assert.isUndefined(response.flashMessage('ssn_last_4'))
      const account = await accountOf(contractor)
      assert.isNotOk(account.individual?.first_name, 'nothing reached Stripe')
      const profile = await profileOf(contractor)
      assert.equal(profile.onboardingRevision, 0)

      const page = await followRedirect(client, response).loginAs(contractor)
      page.assertStatus(200)
      page.assertTextIncludes(message.replaceAll("'", '&#39;'))
    })

  test('corrections reach Stripe every time, even back to earlier values', async ({
    client,
    assert,
  }) => {
    const { contractor } = await contractorWithAccount()

    // The whole form each time, SSN included: the first and the last
    // submissions are identical, only the revision tells them apart
    const first = await postForm(client, contractor, '/onboarding/details', DETAILS)
    assert.equal(first.flashMessage('success'), 'Your details were sent to Stripe.')
    const corrected = await postForm(client, contractor, '/onboarding/details', {
      ...DETAILS,
      last_name: 'Rosen-Smith',
    })
    assert.equal(corrected.flashMessage('success'), 'Your details were sent to Stripe.')
    const afterCorrection = await accountOf(contractor)
    assert.equal(afterCorrection.individual?.last_name, 'Rosen-Smith')

    const back = await postForm(client, contractor, '/onboarding/details', DETAILS)
    assert.equal(back.flashMessage('success'), 'Your details were sent to Stripe.')
    const account = await accountOf(contractor)
    assert.equal(account.individual?.last_name, 'Rosen')
    assert.isTrue(account.individual?.id_number_provided)
    const profile = await profileOf(contractor)
    assert.equal(profile.onboardingRevision, 3)
  })

  test('once the SSN is on file, corrections can leave it out', async ({ client, assert }) => {
    const { contractor } = await contractorWithAccount()

    await postForm(client, contractor, '/onboarding/details', DETAILS)
    const withoutNumber: Partial<typeof DETAILS> = { ...DETAILS }
    delete withoutNumber.id_number
    const corrected = await postForm(client, contractor, '/onboarding/details', {
      ...withoutNumber,
      last_name: 'Rosen-Smith',
    })
    assert.equal(corrected.flashMessage('success'), 'Your details were sent to Stripe.')
    const account = await accountOf(contractor)
    assert.equal(account.individual?.last_name, 'Rosen-Smith')
    assert.isTrue(account.individual?.id_number_provided)
  })

  test('two identical submissions at once are one write on Stripe', async ({ client, assert }) => {
    const { contractor, accountId } = await contractorWithAccount()

    const responses = await Promise.all([
      postForm(client, contractor, '/onboarding/details', DETAILS),
      postForm(client, contractor, '/onboarding/details', DETAILS),
    ])

    for (const response of responses) {
      assert.equal(response.flashMessage('success'), 'Your details were sent to Stripe.')
    }
    const events = await stripe().events.list(
      { type: 'account.updated', limit: 100 },
      {
        stripeAccount: accountId,
      }
    )
    const keys = events.data
      .filter((event) => (event.data.object as Stripe.Account).id === accountId)
      .map((event) => event.request?.idempotency_key)
    assert.lengthOf(keys, 1)
    assert.match(
      keys[0]!,
      new RegExp(`^user:${contractor.id}:${contractor.reference}:onboarding_details:r0:`)
    )
    assert.notInclude(keys[0]!, '000000000')
    const account = await accountOf(contractor)
    assert.equal(account.individual?.first_name, 'Jenny')
  })

  test('Stripe unreachable: a message on the form, what was typed kept, the revision moves on', async ({
    client,
    assert,
  }) => {
    const { contractor } = await contractorWithAccount()

    const response = await withStripeUnreachable(() =>
      postForm(client, contractor, '/onboarding/details', DETAILS)
    )

    response.assertStatus(302)
    response.assertHeader('location', '/onboarding?step=details')
    assert.equal(response.flashMessage('error'), UNREACHABLE)
    assert.equal(response.flashMessage('first_name'), 'Jenny')
    assert.isUndefined(response.flashMessage('id_number'))
    // The outcome of a failed write is unknown: the retry is a new request
    const profile = await profileOf(contractor)
    assert.equal(profile.onboardingRevision, 1)
    const account = await accountOf(contractor)
    assert.isNotOk(account.individual?.first_name)

    const page = await followRedirect(client, response).loginAs(contractor)
    page.assertStatus(200)
    page.assertTextIncludes(UNREACHABLE)
    page.assertTextIncludes('value="Jenny"')
  })

  test('after a 5xx Stripe stores under the key, submitting again reaches Stripe', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { contractor } = await contractorWithAccount()
    // Stripe keeps a 500 under its idempotency key and replays it for that key
    const accounts = stripe().accounts
    const update = accounts.update
    const failedKeys = new Set<string>()
    accounts.update = (async (...args: Parameters<typeof update>) => {
      const key = (args[2] as Stripe.RequestOptions | undefined)?.idempotencyKey ?? ''
      if (failedKeys.size === 0 || failedKeys.has(key)) {
        failedKeys.add(key)
        throw new Stripe.errors.StripeAPIError({ type: 'api_error', message: 'Internal error' })
      }
      return update.apply(accounts, args)
    }) as typeof update
    cleanup(() => {
      accounts.update = update
    })

    const failed = await postForm(client, contractor, '/onboarding/details', DETAILS)
    assert.equal(failed.flashMessage('error'), UNREACHABLE)

    const retried = await postForm(client, contractor, '/onboarding/details', DETAILS)
    assert.equal(retried.flashMessage('success'), 'Your details were sent to Stripe.')
    const account = await accountOf(contractor)
    assert.equal(account.individual?.first_name, 'Jenny')
    assert.lengthOf(failedKeys, 1)
  })
})

test.group('Onboarding: terms', (group) => {
  let trustProxy: unknown
  group.each.setup(async () => {
    await truncateAllTables()
    const http = app.config.get<{ trustProxy: unknown }>('app.http')
    trustProxy = http.trustProxy
    return () => {
      http.trustProxy = trustProxy
    }
  })

  test('records the time, the client IP and user agent on Stripe and locally; X-Forwarded-For of an untrusted peer is ignored', async ({
    client,
    assert,
  }) => {
    const { contractor } = await contractorWithAccount()

    const response = await client
      .post('/onboarding/terms')
      .loginAs(contractor)
      .withCsrfToken()
      .header('user-agent', 'CrewpayTest/1.0 (terms)')
      .header('x-forwarded-for', '198.51.100.99')
      .form({ accept: 'on' })
      .redirects(0)

    response.assertStatus(302)
    assert.equal(
      response.flashMessage('success'),
      'You accepted the Stripe Connected Account Agreement.'
    )
    const profile = await profileOf(contractor)
    assert.oneOf(profile.tosIp, ['127.0.0.1', '::1'])
    assert.equal(profile.tosUserAgent, 'CrewpayTest/1.0 (terms)')
    assert.isNotNull(profile.tosAcceptedAt)
    const account = await accountOf(contractor)
    assert.equal(account.tos_acceptance?.ip, profile.tosIp)
    assert.equal(account.tos_acceptance?.user_agent, 'CrewpayTest/1.0 (terms)')
    assert.equal(account.tos_acceptance?.date, profile.tosAcceptedAt!.toUnixInteger())
    assert.notInclude(profile.requirementsCurrentlyDue, 'tos_acceptance.date')

    const page = await client.get('/onboarding?step=terms').loginAs(contractor)
    page.assertTextIncludes(`from ${profile.tosIp}.`)
    assert.notInclude(page.text(), '198.51.100.99')
  })

  test("behind a trusted proxy, the client IP comes from the proxy's X-Forwarded-For", async ({
    client,
    assert,
  }) => {
    app.config.get<{ trustProxy: unknown }>('app.http').trustProxy = proxyAddr.compile('loopback')
    const { contractor } = await contractorWithAccount()

    const response = await client
      .post('/onboarding/terms')
      .loginAs(contractor)
      .withCsrfToken()
      .header('user-agent', 'CrewpayTest/1.0 (proxy)')
      .header('x-forwarded-for', '203.0.113.7')
      .form({ accept: 'on' })
      .redirects(0)

    response.assertStatus(302)
    const profile = await profileOf(contractor)
    assert.equal(profile.tosIp, '203.0.113.7')
    assert.equal(profile.tosUserAgent, 'CrewpayTest/1.0 (proxy)')
    const account = await accountOf(contractor)
    assert.equal(account.tos_acceptance?.ip, '203.0.113.7')
  })

  test('refuses the form when the box is not ticked', async ({ client, assert }) => {
    const { contractor } = await contractorWithAccount()

    for (const form of [{}, { accept: 'no' }]) {
      const response = await postForm(client, contractor, '/onboarding/terms', form)
      response.assertStatus(302)
      response.assertHeader('location', '/onboarding?step=terms')
      assert.deepEqual(response.flashMessage('inputErrorsBag'), {
        accept: ['Tick the box to accept the Stripe Connected Account Agreement.'],
      })
    }
    const profile = await profileOf(contractor)
    assert.isNull(profile.tosAcceptedAt)
    assert.isNull(profile.tosIp)
    const account = await accountOf(contractor)
    assert.isNotOk(account.tos_acceptance?.date)
  })

  test('the page names the Stripe Connected Account Agreement', async ({ client, assert }) => {
    const { contractor } = await contractorWithAccount()
    const page = await client.get('/onboarding?step=terms').loginAs(contractor)
    page.assertStatus(200)
    page.assertTextIncludes(
      '<a href="https://stripe.com/connect-account/legal" target="_blank" rel="noopener">Stripe Connected Account Agreement'
    )
    page.assertTextIncludes('name="accept" value="on"')
    const profile = await profileOf(contractor)
    assert.isNull(profile.tosAcceptedAt)
  })
})

test.group('Onboarding: identity documents', (group) => {
  group.each.setup(() => truncateAllTables())

  test('uploads each file to Stripe Files and attaches it; nothing stays on our disk', async ({
    client,
    assert,
  }) => {
    const { contractor, accountId } = await contractorWithAccount()
    const marker = `upload-${randomUUID()}`

    const response = await client
      .post('/onboarding/documents')
      .loginAs(contractor)
      .withCsrfToken()
      .file('document_front', pngImage(`${marker}-front`), { filename: 'front.png' })
      .file('document_back', pngImage(`${marker}-back`), { filename: 'back.PNG' })
      .file('additional_document', Buffer.from(`%PDF-1.4\n% ${marker}\n%%EOF\n`), {
        filename: 'utility-bill.pdf',
      })
      .redirects(0)

    response.assertStatus(302)
    assert.equal(
      response.flashMessage('success'),
      'Your documents were sent to Stripe for verification.'
    )
    const files = await stripe().files.list({ limit: 10 }, { stripeAccount: accountId })
    assert.sameMembers(
      files.data.map((file) => `${file.purpose}:${file.type}:${file.filename}`),
      [
        'identity_document:png:document_front.png',
        'identity_document:png:document_back.png',
        'additional_verification:pdf:additional_document.pdf',
      ]
    )
    const byName = Object.fromEntries(files.data.map((file) => [file.filename, file.id]))
    const account = await accountOf(contractor)
    const verification = account.individual?.verification
    assert.equal(verification?.document?.front, byName['document_front.png'])
    assert.equal(verification?.document?.back, byName['document_back.png'])
    assert.equal(verification?.additional_document?.front, byName['additional_document.pdf'])
    assert.deepEqual(await tmpFilesContaining(marker), [])

    const profile = await profileOf(contractor)
    assert.equal(profile.onboardingRevision, 1)
    assert.include(profile.requirementsPendingVerification, 'individual.verification.document')
    const page = await followRedirect(client, response).loginAs(contractor)
    page.assertTextIncludes('Your ID document')
    page.assertTextIncludes('Your proof of address')
  })

  test('the check for leftovers finds a file in the temporary directory', async ({ assert }) => {
    const marker = `control-${randomUUID()}`
    const path = join(tmpdir(), `crewpay-control-${randomUUID()}`)
    await writeFile(path, marker)
    try {
      assert.deepEqual(await tmpFilesContaining(marker), [path])
    } finally {
      await rm(path, { force: true })
    }
  })

  test('refuses {title}')
    .with([
      {
        title: 'an .exe renamed .png',
        field: 'document_front',
        upload: (marker: string) => ({
          content: Buffer.concat([
            Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00', 'latin1'),
            Buffer.alloc(600),
            Buffer.from('PE\0\0' + marker),
          ]),
          filename: 'passport.png',
        }),
        message: 'The file must be a JPEG, PNG or PDF image of the document.',
      },
      {
        title: 'a large text file renamed .png',
        field: 'document_front',
        upload: (marker: string) => ({
          content: Buffer.from(`${marker} ${'not an image '.repeat(800)}`),
          filename: 'license.png',
        }),
        message: 'The file must be a JPEG, PNG or PDF image of the document.',
      },
      {
        title: 'a small text file renamed .jpg',
        field: 'document_front',
        upload: (marker: string) => ({
          content: Buffer.from(`hello ${marker}`),
          filename: 'license.jpg',
        }),
        message: 'The file must be a JPEG, PNG or PDF image of the document.',
      },
      {
        title: 'a GIF',
        field: 'document_front',
        upload: (marker: string) => ({
          content: Buffer.concat([
            Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'),
            Buffer.from(marker),
          ]),
          filename: 'license.gif',
        }),
        message: 'The file must be a JPEG, PNG or PDF image of the document.',
      },
      {
        title: 'an 11 MB file',
        field: 'document_front',
        upload: (marker: string) => ({
          content: Buffer.concat([pngImage(marker), Buffer.alloc(11 * 1024 * 1024)]),
          filename: 'scan.png',
        }),
        message: 'The file is too large: at most 10 MB.',
      },
      {
        title: 'a bad back side with a good front',
        field: 'document_back',
        upload: (marker: string) => ({ content: Buffer.from(`MZ${marker}`), filename: 'back.exe' }),
        message: 'The file must be a JPEG, PNG or PDF image of the document.',
      },
    ])
    .run(async ({ client, assert }, { field, upload, message }) => {
      const { contractor, accountId } = await contractorWithAccount()
      const marker = `refused-${randomUUID()}`
      const { content, filename } = upload(marker)

      let request = client.post('/onboarding/documents').loginAs(contractor).withCsrfToken()
      if (field !== 'document_front') {
        request = request.file('document_front', pngImage(`${marker}-front`), {
          filename: 'front.png',
        })
      }
      const response = await request.file(field, content, { filename }).redirects(0)

      response.assertStatus(302)
      response.assertHeader('location', '/onboarding?step=documents')
      assert.deepEqual(response.flashMessage('inputErrorsBag'), { [field]: [message] })
      const files = await stripe().files.list({ limit: 10 }, { stripeAccount: accountId })
      assert.lengthOf(files.data, 0)
      const account = await accountOf(contractor)
      assert.isNotOk(account.individual?.verification?.document?.front)
      const profile = await profileOf(contractor)
      assert.equal(profile.onboardingRevision, 0)
      assert.deepEqual(await tmpFilesContaining(marker), [])

      const page = await followRedirect(client, response).loginAs(contractor)
      page.assertTextIncludes(message)
    })

  test('an upload refused before the form runs ({title}) leaves nothing on our disk')
    .with([
      {
        title: 'no CSRF token',
        send: ({ client, contractor, file }: Sender) =>
          client
            .post('/onboarding/documents')
            .loginAs(contractor)
            .file('document_front', ...file),
      },
      {
        title: 'an expired CSRF token',
        send: ({ client, contractor, file }: Sender) =>
          client
            .post('/onboarding/documents')
            .loginAs(contractor)
            .field('_csrf', 'a-token-of-a-session-that-expired')
            .file('document_front', ...file),
      },
      {
        title: 'an employer (403)',
        send: ({ client, employer, file }: Sender) =>
          client
            .post('/onboarding/documents')
            .loginAs(employer)
            .withCsrfToken()
            .file('document_front', ...file),
      },
      {
        title: 'a guest',
        send: ({ client, file }: Sender) =>
          client
            .post('/onboarding/documents')
            .withCsrfToken()
            .file('document_front', ...file),
      },
      {
        title: 'a nested field name the form does not read',
        send: ({ client, contractor, file }: Sender) =>
          client
            .post('/onboarding/documents')
            .loginAs(contractor)
            .withCsrfToken()
            .file('document_front', pngImage('front'), { filename: 'front.png' })
            .file('extra[a]', ...file),
      },
      {
        title: 'a multipart post to the bank form',
        send: ({ client, contractor, file }: Sender) =>
          client
            .post('/onboarding/bank')
            .loginAs(contractor)
            .withCsrfToken()
            .field('routing_number', BANK.routing_number)
            .field('account_number', BANK.account_number)
            .field('account_holder_name', BANK.account_holder_name)
            .file('document_front', ...file),
      },
    ])
    .run(async ({ client, assert }, { send }) => {
      const { contractor } = await contractorWithAccount()
      const employer = await createUser({ role: 'employer' })
      const marker = `refused-early-${randomUUID()}`

      const file: UploadFile = [pngImage(marker), { filename: 'id.png' }]
      const response = await send({ client, contractor, employer, file }).redirects(0)

      assert.notEqual(response.status(), 500)
      assert.deepEqual(await tmpFilesContaining(marker), [])
    })

  test('refuses a form without the front of the ID', async ({ client, assert }) => {
    const { contractor, accountId } = await contractorWithAccount()

    const response = await client
      .post('/onboarding/documents')
      .loginAs(contractor)
      .withCsrfToken()
      .field('note', 'forgot the file')
      .redirects(0)

    response.assertStatus(302)
    assert.deepEqual(response.flashMessage('inputErrorsBag'), {
      document_front: ['Choose a photo or scan of the front of your ID.'],
    })
    const files = await stripe().files.list({ limit: 10 }, { stripeAccount: accountId })
    assert.lengthOf(files.data, 0)
    const profile = await profileOf(contractor)
    assert.equal(profile.onboardingRevision, 0)
  })

  test('refuses a back of the ID without its front, even with proof of address', async ({
    client,
    assert,
  }) => {
    const { contractor, accountId } = await contractorWithAccount()

    const response = await client
      .post('/onboarding/documents')
      .loginAs(contractor)
      .withCsrfToken()
      .file('document_back', pngImage('back'), { filename: 'back.png' })
      .file('additional_document', Buffer.from('%PDF-1.4\n% bill\n%%EOF\n'), {
        filename: 'bill.pdf',
      })
      .redirects(0)

    response.assertStatus(302)
    assert.deepEqual(response.flashMessage('inputErrorsBag'), {
      document_front: ['Choose a photo or scan of the front of your ID.'],
    })
    const files = await stripe().files.list({ limit: 10 }, { stripeAccount: accountId })
    assert.lengthOf(files.data, 0)
  })

  test('Stripe unreachable: a message, and the upload is still deleted', async ({
    client,
    assert,
  }) => {
    const { contractor } = await contractorWithAccount()
    const marker = `offline-${randomUUID()}`

    const response = await withStripeUnreachable(() =>
      client
        .post('/onboarding/documents')
        .loginAs(contractor)
        .withCsrfToken()
        .file('document_front', pngImage(marker), { filename: 'front.png' })
        .redirects(0)
    )

    response.assertStatus(302)
    assert.equal(response.flashMessage('error'), UNREACHABLE)
    assert.deepEqual(await tmpFilesContaining(marker), [])
    const profile = await profileOf(contractor)
    assert.equal(profile.onboardingRevision, 1)
  })
})

test.group('Onboarding: bank account', (group) => {
  group.each.setup(() => truncateAllTables())

  test('sends the account to Stripe and keeps only the bank name and last 4', async ({
    client,
    assert,
  }) => {
    const { contractor, accountId } = await contractorWithAccount()

    const response = await postForm(client, contractor, '/onboarding/bank', BANK)

    response.assertStatus(302)
    assert.equal(response.flashMessage('success'), 'Your bank account was added.')
    const profile = await profileOf(contractor)
    assert.equal(profile.bankName, 'STRIPE TEST BANK')
    assert.equal(profile.bankLast4, '6789')
    assert.notInclude(profile.requirementsCurrentlyDue, 'external_account')
    assert.notInclude(await storedAbout(contractor), BANK.account_number)
    assert.notInclude(JSON.stringify(response.flashMessages()), BANK.account_number)
    const banks = await stripe().accounts.listExternalAccounts(accountId, {
      object: 'bank_account',
    })
    assert.lengthOf(banks.data, 1)
    assert.equal(banks.data[0].last4, '6789')
    assert.equal((banks.data[0] as Stripe.BankAccount).account_holder_name, 'Jenny Rosen')

    const page = await client.get('/onboarding?step=bank').loginAs(contractor)
    page.assertTextIncludes('Payouts go to STRIPE TEST BANK account ending in 6789.')
    assert.notInclude(page.text(), BANK.account_number)
  })

  test('a new bank account replaces the previous one', async ({ client, assert }) => {
    const { contractor, accountId } = await contractorWithAccount()
    await postForm(client, contractor, '/onboarding/bank', BANK)

    const response = await postForm(client, contractor, '/onboarding/bank', {
      ...BANK,
      account_number: '000111111116',
    })

    assert.equal(response.flashMessage('success'), 'Your bank account was added.')
    const profile = await profileOf(contractor)
    assert.equal(profile.bankLast4, '1116')
    const banks = await stripe().accounts.listExternalAccounts(accountId, {
      object: 'bank_account',
    })
    assert.deepEqual(
      banks.data.map((bank) => bank.last4),
      ['1116']
    )
  })

  test('a bank account removed on Stripe disappears from the page', async ({ client, assert }) => {
    const { contractor, accountId } = await contractorWithAccount()
    await postForm(client, contractor, '/onboarding/bank', BANK)
    const banks = await stripe().accounts.listExternalAccounts(accountId, {
      object: 'bank_account',
    })
    await stripe().accounts.deleteExternalAccount(accountId, banks.data[0].id)

    const page = await client.get('/onboarding?step=bank').loginAs(contractor)

    page.assertStatus(200)
    assert.notInclude(page.text(), 'ending in 6789')
    page.assertTextIncludes('Add the bank account your payouts go to.')
    const profile = await profileOf(contractor)
    assert.isNull(profile.bankLast4)
    assert.isNull(profile.bankName)
    assert.include(profile.requirementsCurrentlyDue, 'external_account')
  })

  test('refuses {title}')
    .with([
      {
        title: 'a routing number with a bad checksum',
        form: { routing_number: '123456789' },
        field: 'routing_number',
        message: 'This is not a valid US routing number; check it on a check or with your bank.',
      },
      {
        title: 'letters in the routing number',
        form: { routing_number: '11000000a' },
        field: 'routing_number',
        message: 'The routing number has 9 digits.',
      },
      {
        title: 'letters in the account number',
        form: { account_number: '00012345678X' },
        field: 'account_number',
        message: 'The account number can only contain digits.',
      },
      {
        title: 'a too short account number',
        form: { account_number: '123' },
        field: 'account_number',
        message: 'The account number must have 4 to 17 digits.',
      },
      {
        title: 'a missing account holder',
        form: { account_holder_name: null },
        field: 'account_holder_name',
        message: 'Enter your account holder name.',
      },
    ])
    .run(async ({ client, assert }, { form, field, message }) => {
      const { contractor, accountId } = await contractorWithAccount()
      const body: Record<string, unknown> = { ...BANK, ...form }
      for (const key of Object.keys(body)) {
        if (body[key] === null) {
          delete body[key]
        }
      }

      const response = await postForm(client, contractor, '/onboarding/bank', body)

      response.assertStatus(302)
      response.assertHeader('location', '/onboarding?step=bank')
      assert.deepEqual(response.flashMessage('inputErrorsBag'), { [field]: [message] })
      assert.isUndefined(response.flashMessage('account_number'))
      const profile = await profileOf(contractor)
      assert.isNull(profile.bankLast4)
      assert.equal(profile.onboardingRevision, 0)
      const banks = await stripe().accounts.listExternalAccounts(accountId, {
        object: 'bank_account',
      })
      assert.lengthOf(banks.data, 0)
    })
})

test.group('Onboarding: Stripe refusals', () => {
  test('a refusal of one field becomes an inline error on that field', ({ assert }) => {
    const fields = {
      'external_account[routing_number]': 'routing_number',
      'individual[dob]': 'dob',
    }
    const routing = stripeFailure(
      new Stripe.errors.StripeInvalidRequestError({
        type: 'invalid_request_error',
        code: 'routing_number_invalid',
        param: 'external_account[routing_number]',
        message: 'Invalid routing number: 110000001',
      }),
      { userId: 1, operation: 'test' },
      fields
    )
    assert.instanceOf(routing, vineErrors.E_VALIDATION_ERROR)
    assert.deepEqual((routing as InstanceType<typeof vineErrors.E_VALIDATION_ERROR>).messages, [
      {
        field: 'routing_number',
        rule: 'stripe',
        message: 'Stripe does not know this routing number; check it with your bank.',
      },
    ])

    // A nested parameter belongs to the field of its parent
    const dob = stripeFailure(
      new Stripe.errors.StripeInvalidRequestError({
        type: 'invalid_request_error',
        param: 'individual[dob][day]',
        message: 'Invalid individual[dob][day]',
      }),
      { userId: 1, operation: 'test' },
      fields
    )
    assert.deepEqual((dob as InstanceType<typeof vineErrors.E_VALIDATION_ERROR>).messages, [
      {
        field: 'dob',
        rule: 'stripe',
        message: 'Stripe did not accept this value; check it and submit the form again.',
      },
    ])
  })

  test('other refusals and outages become a message, 422 or 503', ({ assert }) => {
    const refused = stripeFailure(
      new Stripe.errors.StripeInvalidRequestError({
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'id',
        message: "No such account: 'acct_1'",
      }),
      { userId: 1, operation: 'test' },
      { 'external_account[routing_number]': 'routing_number' }
    )
    assert.instanceOf(refused, DomainError)
    assert.equal((refused as DomainError).status, 422)
    assert.equal(refused.message, 'Stripe does not know this object any more.')

    const offline = stripeFailure(
      new Stripe.errors.StripeConnectionError({ message: 'connect ECONNREFUSED' }),
      { userId: 1, operation: 'test' }
    )
    assert.instanceOf(offline, DomainError)
    assert.equal((offline as DomainError).status, 503)
    assert.equal(offline.message, UNREACHABLE)

    const serverError = stripeFailure(
      new Stripe.errors.StripeAPIError({ type: 'api_error', message: 'Internal error' }),
      { userId: 1, operation: 'test' }
    )
    assert.equal((serverError as DomainError).status, 503)
    assert.equal(serverError.message, UNREACHABLE)
  })

  test("an error that is not Stripe's is thrown as it is", ({ assert }) => {
    const database = new Error('connection to the database was lost')
    assert.throws(
      () => stripeFailure(database, { userId: 1, operation: 'test' }),
      'connection to the database was lost'
    )
  })
})

test.group('Onboarding: errors of ours', (group) => {
  group.each.setup(() => truncateAllTables())

  test("a database failure while finding the account is not reported as Stripe's", async ({
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    await db.from('user_profiles').where('user_id', contractor.id).delete()

    const error = await contractorAccount(contractor).then(
      () => null,
      (thrown: unknown) => thrown
    )
    assert.instanceOf(error, Error)
    assert.notInstanceOf(error, DomainError)
    assert.equal((error as { code?: string }).code, 'E_ROW_NOT_FOUND')
  })
})
