import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import type { StripeConfig } from '#config/stripe'
import type { DevClockConfig } from '#config/dev_clock'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'
import { createActiveContractor, createEmployer } from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { addVerifiedBankAccount } from '#tests/helpers/bank_accounts'
import { acceptLine } from '#actions/orders/accept_line'

async function sandboxNow() {
  const clock = (await stripe().rawRequest('GET', '/v1/test_helpers/sandbox/clock', {})) as unknown
  return (clock as { now: number }).now
}

/** Runs `work` with a configuration value changed, then puts it back */
async function withConfig<T>(key: string, value: unknown, work: () => Promise<T>) {
  const saved = app.config.get(key)
  app.config.set(key, value)
  try {
    return await work()
  } finally {
    app.config.set(key, saved)
  }
}

test.group('Development clock panel', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a signed-in user sees it in sandbox mode; a guest does not', async ({ client, assert }) => {
    const employer = await createUser({ role: 'employer' })
    const contractor = await createUser({ role: 'contractor' })
    for (const user of [employer, contractor]) {
      const page = await client.get('/orders').loginAs(user)
      page.assertTextIncludes('<aside class="dev-clock" aria-label="Development clock">')
      page.assertTextIncludes('<form method="POST" action="/dev/clock">')
      for (const by of ['hour', 'day', 'week']) {
        page.assertTextIncludes(`name="by" value="${by}"`)
      }
    }
    const guest = await client.get('/services')
    assert.notInclude(guest.text(), 'dev-clock')
  })

  test('moves the sandbox clock and runs what became due: a bank payment clears', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const service = await createService(contractor)
    const bank = await addVerifiedBankAccount(employer)
    const placed = await placeTestOrder(employer, service, bank.stripePaymentMethodId!)
    // Accepted: a week later it is not canceled as never accepted (settle_lines runs too)
    await acceptLine(placed.id, null, contractor)
    const before = await sandboxNow()

    const hour = await client
      .post('/dev/clock')
      .loginAs(employer)
      .withCsrfToken()
      .header('referer', `/orders/${placed.id}`)
      .form({ by: 'hour' })
      .redirects(0)

    hour.assertHeader('location', `/orders/${placed.id}`)
    assert.match(
      String(hour.flashMessage('success')),
      /^Sandbox clock moved forward by an hour: it is now .+ UTC\. Nothing else was due\.$/
    )
    assert.isAtLeast((await sandboxNow()) - before, 3600)
    const waiting = await stateOf(placed)
    assert.equal(waiting.payment.status, 'processing')

    const week = await client
      .post('/dev/clock')
      .loginAs(employer)
      .withCsrfToken()
      .form({ by: 'week' })
      .redirects(0)

    assert.isAtLeast((await sandboxNow()) - before, 3600 + 7 * 86_400)
    assert.match(String(week.flashMessage('success')), /1 bank payment\(s\) followed/)
    const cleared = await stateOf(placed)
    assert.equal(cleared.payment.status, 'succeeded')
  })

  test('refuses an unknown step; a guest is sent to log in', async ({ client, assert }) => {
    const employer = await createUser({ role: 'employer' })
    const before = await sandboxNow()
    const wrong = await client
      .post('/dev/clock')
      .loginAs(employer)
      .withCsrfToken()
      .form({ by: 'year' })
      .redirects(0)
    wrong.assertStatus(302)
    assert.isUndefined(wrong.flashMessage('success'))
    const guest = await client.post('/dev/clock').withCsrfToken().form({ by: 'day' }).redirects(0)
    guest.assertHeader('location', '/login')
    assert.isBelow((await sandboxNow()) - before, 60)
  })

  test('does not exist in production, nor with real Stripe', async ({ client, assert }) => {
    const employer = await createUser({ role: 'employer' })
    const cases: [string, unknown][] = [
      ['dev_clock', { enabled: false } satisfies DevClockConfig],
      ['stripe', { ...app.config.get<StripeConfig>('stripe'), mode: 'stripe' }],
    ]
    for (const [key, value] of cases) {
      const before = await sandboxNow()
      await withConfig(key, value, async () => {
        const response = await client
          .post('/dev/clock')
          .loginAs(employer)
          .withCsrfToken()
          .form({ by: 'week' })
          .redirects(0)
        response.assertStatus(404)
        const page = await client.get('/orders').loginAs(employer)
        assert.notInclude(page.text(), 'dev-clock', key)
      })
      assert.isBelow((await sandboxNow()) - before, 60, key)
    }
  })
})
