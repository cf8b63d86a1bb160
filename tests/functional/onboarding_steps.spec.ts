import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'
import { advanceSandboxClock, profileOf, withStripeUnreachable } from '#tests/helpers/stripe'
import { BANK, DETAILS, postForm, statusOf } from '#tests/helpers/onboarding'

test.group('Onboarding: one step at a time, following Stripe by itself', (group) => {
  group.each.setup(() => truncateAllTables())

  test('each step has its own page and form, in order, with the progress of all four', async ({
    client,
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    const forms = (html: string) =>
      [...html.matchAll(/<form method="POST" action="\/onboarding\/([a-z]+)"/g)].map(
        (match) => match[1]
      )

    const first = await client.get('/onboarding').loginAs(contractor)
    assert.deepEqual(forms(first.text()), ['details'])
    first.assertTextIncludes('<a href="/onboarding?step=details" aria-current="step">')
    for (const step of ['details', 'terms', 'bank']) {
      first.assertTextIncludes(`data-step="${step}" data-step-state="due"`)
    }
    first.assertTextIncludes('data-step="documents" data-step-state="optional"')

    for (const step of ['terms', 'documents', 'bank']) {
      const page = await client.get(`/onboarding?step=${step}`).loginAs(contractor)
      assert.deepEqual(forms(page.text()), [step], step)
    }
    // An unknown step is the first one due
    const odd = await client.get('/onboarding?step=../../admin').loginAs(contractor)
    assert.deepEqual(forms(odd.text()), ['details'])

    await postForm(client, contractor, '/onboarding/details', DETAILS)
    const second = await client.get('/onboarding').loginAs(contractor)
    assert.deepEqual(forms(second.text()), ['terms'])
    second.assertTextIncludes('Step 2 of 4')
  })

  test('while Stripe verifies, the page asks for the status by itself; the status endpoint asks Stripe at most every few seconds', async ({
    client,
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    await postForm(client, contractor, '/onboarding/details', DETAILS)
    await postForm(client, contractor, '/onboarding/terms', { accept: 'on' })
    await postForm(client, contractor, '/onboarding/bank', BANK)

    const verifying = await client.get('/onboarding').loginAs(contractor)
    assert.equal(statusOf(verifying), 'pending')
    verifying.assertTextIncludes('data-verifying="true"')
    verifying.assertTextIncludes('<script src="/js/onboarding_status.js" defer></script>')
    verifying.assertTextIncludes('<noscript><meta http-equiv="refresh" content="5"></noscript>')
    verifying.assertTextIncludes('This page updates itself when Stripe has finished checking.')
    // A page with a form to fill never reloads by itself over what is typed (the script asks first)
    const withForm = await client.get('/onboarding?step=details').loginAs(contractor)
    withForm.assertTextIncludes('onboarding_status.js')
    assert.notInclude(withForm.text(), 'http-equiv="refresh"')

    const asked = await client.get('/onboarding/status').loginAs(contractor).accept('json')
    asked.assertStatus(200)
    asked.assertHeader('cache-control', 'no-store')
    assert.equal(asked.body().status, 'pending')
    assert.isTrue(asked.body().verifying)
    assert.equal(asked.body().steps.details, 'pending')

    // Stripe finishes; the snapshot is only a moment old, so it is not asked again yet
    await advanceSandboxClock(120)
    const soon = await withStripeUnreachable(() =>
      client.get('/onboarding/status').loginAs(contractor).accept('json')
    )
    assert.equal(soon.body().status, 'pending')

    // A few seconds later (no webhook needed), the endpoint reads Stripe and says so
    const profile = await profileOf(contractor)
    profile.stripeSyncedAt = DateTime.now().minus({ seconds: 10 })
    await profile.save()
    const done = await client.get('/onboarding/status').loginAs(contractor).accept('json')
    assert.equal(done.body().status, 'active')
    assert.isFalse(done.body().verifying)
    const enabled = await profileOf(contractor)
    assert.isTrue(enabled.chargesEnabled)

    const active = await client.get('/onboarding').loginAs(contractor)
    active.assertTextIncludes('data-verifying="false"')
    assert.notInclude(active.text(), 'onboarding_status.js')
    assert.notInclude(active.text(), 'http-equiv="refresh"')
  })

  test('the status is for contractors only', async ({ client }) => {
    const employer = await createUser({ role: 'employer' })
    const refused = await client.get('/onboarding/status').loginAs(employer).accept('json')
    refused.assertStatus(403)
    const guest = await client.get('/onboarding/status').accept('json')
    guest.assertStatus(401)
  })
})
