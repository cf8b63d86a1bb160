import { test } from '@japa/runner'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor, createEmployer, profileOf } from '#tests/helpers/stripe'

test.group('Stripe test helpers', (group) => {
  group.each.setup(() => truncateAllTables())

  test('an onboarded contractor can take orders', async ({ assert }) => {
    const contractor = await createActiveContractor()
    const profile = await profileOf(contractor)
    assert.match(profile.stripeId!, /^acct_/)
    assert.isTrue(profile.chargesEnabled)
    assert.equal(profile.transfersCapability, 'active')
  })

  test('an employer has a customer and a default card', async ({ assert }) => {
    const employer = await createEmployer()
    const profile = await profileOf(employer)
    assert.match(profile.stripeId!, /^cus_/)
    assert.match(profile.defaultPaymentMethodId!, /^pm_/)
  })
})
