import { test } from '@japa/runner'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'
import { ensureConnectAccount } from '#actions/onboarding/ensure_account'
import { profileOf } from '#tests/helpers/stripe'
import { stripe } from '#stripe/client'

test.group('Uploads above what the server accepts at all', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a 40 MB upload is a 413 page that says what to do, and nothing is saved', async ({
    client,
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    await ensureConnectAccount(contractor)

    const response = await client
      .post('/onboarding/documents')
      .loginAs(contractor)
      .withCsrfToken()
      .file('document_front', Buffer.alloc(40 * 1024 * 1024), { filename: 'scan.png' })

    response.assertStatus(413)
    response.assertTextIncludes('That upload is too large')
    response.assertTextIncludes('at most 10 MB')
    const profile = await profileOf(contractor)
    const account = await stripe().accounts.retrieve(profile.stripeId!)
    assert.isNotOk(account.individual?.verification?.document?.front)
  })
})
