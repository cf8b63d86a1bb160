import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import { DateTime } from 'luxon'
import type User from '#models/user'
import Service from '#models/service'
import UserProfile from '#models/user_profile'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'
import { followRedirect } from '#tests/helpers/http'
import { createActiveContractor, createEmployer, profileOf } from '#tests/helpers/stripe'
import { addCard } from '#actions/billing/add_card'

const validService = {
  title: 'Kitchen renovation plan',
  description: 'A full plan for your kitchen renovation, with drawings and a budget.',
  price: '120.00',
  currency: 'usd',
}

function postService(client: ApiClient, contractor: User, fields: Record<string, string>) {
  return client.post('/my/services').loginAs(contractor).withCsrfToken().form(fields).redirects(0)
}

/** A service row as a contractor would have made it */
async function makeService(
  contractor: User,
  attributes: Partial<{
    title: string
    price: number
    currency: string
    active: boolean
    createdAt: DateTime
  }> = {}
) {
  return Service.create({
    contractorId: contractor.id,
    title: attributes.title ?? 'Logo design',
    description: 'A logo in three variants, with the source files.',
    price: attributes.price ?? 25000,
    currency: attributes.currency ?? 'usd',
    active: attributes.active ?? true,
    ...(attributes.createdAt ? { createdAt: attributes.createdAt } : {}),
  })
}

async function servicesOf(contractor: User) {
  return Service.query().where('contractorId', contractor.id).orderBy('id')
}

test.group('My services: creating', (group) => {
  group.each.setup(() => truncateAllTables())

  test('{price} {currency} is stored as {minor} minor units')
    .with([
      { price: '120.00', currency: 'usd', minor: 12000, shown: '$120.00' },
      { price: '1,250', currency: 'usd', minor: 125000, shown: '$1,250.00' },
      { price: '1250', currency: 'jpy', minor: 1250, shown: '¥1,250' },
      { price: ' 99.5 ', currency: 'EUR', minor: 9950, shown: '€99.50' },
      { price: '999,999.99', currency: 'usd', minor: 99999999, shown: '$999,999.99' },
    ])
    .run(async ({ client, assert }, { price, currency, minor, shown }) => {
      const contractor = await createActiveContractor()

      const response = await postService(client, contractor, {
        ...validService,
        price,
        currency,
      })

      response.assertStatus(302)
      response.assertHeader('location', '/my/services')
      assert.equal(
        response.flashMessage('success'),
        `“Kitchen renovation plan” is listed at ${shown}.`
      )
      const services = await servicesOf(contractor)
      assert.lengthOf(services, 1)
      assert.equal(services[0].price, minor)
      assert.equal(services[0].currency, currency.toLowerCase())
      assert.equal(services[0].title, validService.title)
      assert.equal(services[0].description, validService.description)
      assert.isTrue(services[0].active)

      const page = await followRedirect(client, response)
      page.assertStatus(200)
      page.assertTextIncludes(`<td data-label="Price" class="amount">${shown}</td>`)
      page.assertTextIncludes(`<a href="/services/${services[0].id}">Kitchen renovation plan</a>`)
    })

  test('a contractor who has not finished onboarding is told the service is not listed yet', async ({
    client,
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })

    const response = await postService(client, contractor, validService)

    assert.equal(
      response.flashMessage('success'),
      '“Kitchen renovation plan” is saved at $120.00. It is not listed: your Stripe account ' +
        'cannot take payments yet (finish onboarding).'
    )
    assert.lengthOf(await servicesOf(contractor), 1)
    const page = await followRedirect(client, response)
    page.assertTextIncludes('Your services are not listed yet')
    // Not linked: its public page would be a 404
    assert.notInclude(page.text(), '<a href="/services/')
  })

  test('refuses {label}: "{message}"')
    .with([
      {
        label: 'a negative price',
        fields: { price: '-5' },
        field: 'price',
        message: 'The amount cannot be negative.',
      },
      {
        label: 'a price that is not a number',
        fields: { price: 'abc' },
        field: 'price',
        message: '"abc" is not an amount (write it like 12.50).',
      },
      {
        label: 'three decimals in USD',
        fields: { price: '1.234' },
        field: 'price',
        message: 'USD amounts have at most 2 decimals.',
      },
      {
        label: 'decimals in JPY',
        fields: { price: '12.5', currency: 'jpy' },
        field: 'price',
        message: 'JPY has no decimals: write a whole number.',
      },
      {
        label: 'a misplaced thousands separator',
        fields: { price: '12,50' },
        field: 'price',
        message: '"12,50" is not an amount (write it like 12.50).',
      },
      {
        label: "a price above Stripe's maximum",
        fields: { price: '1,000,000.00' },
        field: 'price',
        message: 'The amount is too large (at most $999,999.99).',
      },
      {
        label: "a price below Stripe's minimum charge",
        fields: { price: '0.10' },
        field: 'price',
        message: 'The price must be at least $0.50.',
      },
      {
        label: 'a zero price in JPY',
        fields: { price: '0', currency: 'jpy' },
        field: 'price',
        message: 'The price must be at least ¥50.',
      },
      {
        label: 'an empty price',
        fields: { price: '' },
        field: 'price',
        message: 'Enter a price, e.g. 120.00.',
      },
      {
        label: 'an empty title',
        fields: { title: '' },
        field: 'title',
        message: 'Enter the title.',
      },
      {
        label: 'a blank title',
        fields: { title: '   ' },
        field: 'title',
        message: 'Enter the title.',
      },
      {
        label: 'a title too long',
        fields: { title: 'x'.repeat(121) },
        field: 'title',
        message: 'The title must be at most 120 characters long.',
      },
      {
        label: 'an empty description',
        fields: { description: '' },
        field: 'description',
        message: 'Enter the description.',
      },
      {
        label: 'an unsupported currency',
        fields: { currency: 'xyz' },
        field: 'currency',
        message: 'Choose one of: USD, EUR, GBP, CAD, JPY.',
      },
      {
        label: 'a currency Stripe has but Crewpay does not take',
        fields: { currency: 'krw' },
        field: 'currency',
        message: 'Choose one of: USD, EUR, GBP, CAD, JPY.',
      },
    ])
    .run(async ({ client, assert }, { fields, field, message }) => {
      const contractor = await createActiveContractor()

      const response = await postService(client, contractor, { ...validService, ...fields })

      response.assertStatus(302)
      response.assertHeader('location', '/my/services')
      const errors = response.flashMessage('inputErrorsBag') as Record<string, string[]>
      assert.deepEqual(errors[field], [message])
      assert.lengthOf(await servicesOf(contractor), 0)

      // Shown next to the field, with what was typed kept in the form
      const page = await followRedirect(client, response)
      page.assertStatus(200)
      assert.include(
        page.text(),
        `<small class="error-text" id="${field}-error">${escapeHtml(message)}</small>`
      )
      // Screen readers hear the error with the field
      assert.match(
        page.text(),
        new RegExp(
          `id="${field}"[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*${field}-error`
        )
      )
      if (field !== 'title') {
        page.assertTextIncludes('value="Kitchen renovation plan"')
      }
    })

  test('only contractors have a services page', async ({ client, assert }) => {
    const employer = await createUser({ role: 'employer' })

    const page = await client.get('/my/services').loginAs(employer)
    page.assertStatus(403)
    page.assertTextIncludes('This page is for contractor accounts.')

    const post = await postService(client, employer, validService)
    post.assertStatus(403)
    assert.lengthOf(await Service.all(), 0)

    const guest = await client.get('/my/services').redirects(0)
    guest.assertStatus(302)
    guest.assertHeader('location', '/login')
  })

  test('lists only the contractor’s own services, newest first', async ({ client, assert }) => {
    const contractor = await createActiveContractor()
    const other = await createActiveContractor()
    await makeService(contractor, { title: 'Older', createdAt: DateTime.now().minus({ days: 2 }) })
    await makeService(contractor, { title: 'Newer', active: false })
    await makeService(other, { title: 'Somebody else’s' })

    const page = await client.get('/my/services').loginAs(contractor)

    page.assertStatus(200)
    const text = page.text()
    assert.isBelow(text.indexOf('Newer'), text.indexOf('Older'))
    assert.isAbove(text.indexOf('Newer'), -1)
    assert.notInclude(text, 'Somebody else’s')
    page.assertTextIncludes('data-listing="deactivated">Not listed</span>')
    page.assertTextIncludes('Because you deactivated it.')
    page.assertTextIncludes('<option value="jpy"')
    assert.notInclude(text, 'Your services are not listed yet')
  })
})

test.group('My services: deactivating', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a contractor deactivates and reactivates their own service', async ({ client, assert }) => {
    const contractor = await createActiveContractor()
    const service = await makeService(contractor)

    const off = await client
      .post(`/my/services/${service.id}/toggle`)
      .loginAs(contractor)
      .withCsrfToken()
      .form({ active: '0' })
      .redirects(0)
    off.assertStatus(302)
    off.assertHeader('location', '/my/services')
    assert.equal(off.flashMessage('success'), '“Logo design” is no longer offered.')
    await service.refresh()
    assert.isFalse(service.active)
    const listing = await client.get('/services')
    assert.notInclude(listing.text(), 'Logo design')

    // A double click asks for the same state again: it stays off
    await client
      .post(`/my/services/${service.id}/toggle`)
      .loginAs(contractor)
      .withCsrfToken()
      .form({ active: '0' })
    await service.refresh()
    assert.isFalse(service.active)

    const on = await client
      .post(`/my/services/${service.id}/toggle`)
      .loginAs(contractor)
      .withCsrfToken()
      .form({ active: '1' })
      .redirects(0)
    assert.equal(on.flashMessage('success'), '“Logo design” is offered again.')
    await service.refresh()
    assert.isTrue(service.active)

    // Without a wanted state, it flips
    await client.post(`/my/services/${service.id}/toggle`).loginAs(contractor).withCsrfToken()
    await service.refresh()
    assert.isFalse(service.active)
  })

  test('the page renders a toggle form per service', async ({ client }) => {
    const contractor = await createActiveContractor()
    const service = await makeService(contractor)

    const page = await client.get('/my/services').loginAs(contractor)

    page.assertTextIncludes(`<form method="POST" action="/my/services/${service.id}/toggle"`)
    page.assertTextIncludes('<input type="hidden" name="active" value="0">')
    page.assertTextIncludes('Deactivate')
  })

  test("another contractor's service, or an unknown one, is a 404", async ({ client, assert }) => {
    const owner = await createActiveContractor()
    const intruder = await createActiveContractor()
    const service = await makeService(owner)

    for (const id of [String(service.id), '999999', '9999999999', '99999999999999999999']) {
      const response = await client
        .post(`/my/services/${id}/toggle`)
        .loginAs(intruder)
        .withCsrfToken()
        .form({ active: '0' })
        .redirects(0)
      response.assertStatus(404)
      response.assertTextIncludes('Page not found')
    }
    await service.refresh()
    assert.isTrue(service.active)
  })
})

test.group('Services: browsing', (group) => {
  group.each.setup(() => truncateAllTables())

  test('lists only active services of contractors who can take charges', async ({
    client,
    assert,
  }) => {
    const enabled = await createActiveContractor({ fullName: 'Grace Hopper' })
    const notOnboarded = await createUser({ role: 'contractor' })
    const transfersInactive = await createActiveContractor()
    await UserProfile.query()
      .where('userId', transfersInactive.id)
      .update({ transfersCapability: 'inactive' })
    const chargesDisabled = await createActiveContractor()
    await UserProfile.query().where('userId', chargesDisabled.id).update({ chargesEnabled: false })

    await makeService(enabled, { title: 'Shown service', price: 12000 })
    await makeService(enabled, { title: 'Yen service', price: 1250, currency: 'jpy' })
    await makeService(enabled, { title: 'Inactive service', active: false })
    await makeService(notOnboarded, { title: 'Not onboarded service' })
    await makeService(transfersInactive, { title: 'Transfers inactive service' })
    await makeService(chargesDisabled, { title: 'Charges disabled service' })

    for (const user of [null, await createUser({ role: 'employer' }), enabled]) {
      const request = client.get('/services')
      const page = await (user ? request.loginAs(user) : request)
      page.assertStatus(200)
      page.assertTextIncludes('Shown service')
      page.assertTextIncludes('$120.00')
      page.assertTextIncludes('Yen service')
      page.assertTextIncludes('¥1,250')
      page.assertTextIncludes(`by <a href="/contractors/${enabled.id}">Grace Hopper</a>`)
      for (const hidden of [
        'Inactive service',
        'Not onboarded service',
        'Transfers inactive service',
        'Charges disabled service',
      ]) {
        assert.notInclude(page.text(), hidden)
      }
    }
  })

  test('lists the newest first, twelve to a page', async ({ client, assert }) => {
    const contractor = await createActiveContractor()
    const start = DateTime.now().minus({ days: 30 })
    for (let index = 1; index <= 13; index++) {
      await makeService(contractor, {
        title: `Service number ${String(index).padStart(2, '0')}`,
        createdAt: start.plus({ days: index }),
      })
    }

    const first = await client.get('/services')
    first.assertStatus(200)
    const text = first.text()
    assert.isBelow(text.indexOf('Service number 13'), text.indexOf('Service number 12'))
    assert.include(text, 'Service number 02')
    assert.notInclude(text, 'Service number 01')
    first.assertTextIncludes('Page 1 of 2')
    first.assertTextIncludes('href="/services?page=2"')

    const second = await client.get('/services').qs({ page: 2 })
    second.assertStatus(200)
    second.assertTextIncludes('Service number 01')
    assert.notInclude(second.text(), 'Service number 02')
    second.assertTextIncludes('href="/services?page=1"')

    // A mangled page number shows the first page, not an error
    for (const page of ['abc', '-1', '1.5', '99999999999']) {
      const response = await client.get(`/services?page=${page}`)
      response.assertStatus(200)
      response.assertTextIncludes('Service number 13')
    }
    const beyond = await client.get('/services?page=5')
    beyond.assertStatus(200)
    beyond.assertTextIncludes('There are no services on this page.')
  })

  test('says so when nothing is offered', async ({ client }) => {
    const page = await client.get('/services')
    page.assertStatus(200)
    page.assertTextIncludes('No services are offered yet.')
  })
})

test.group('Services: one service', (group) => {
  group.each.setup(() => truncateAllTables())

  test('shows the service and its contractor to anyone', async ({ client, assert }) => {
    const contractor = await createActiveContractor({ fullName: 'Grace Hopper' })
    const service = await makeService(contractor, { title: 'Compiler review', price: 125000 })

    const page = await client.get(`/services/${service.id}`)

    page.assertStatus(200)
    page.assertTextIncludes('<h1>Compiler review</h1>')
    page.assertTextIncludes('Grace Hopper')
    page.assertTextIncludes('$1,250.00')
    page.assertTextIncludes('A logo in three variants')
    // Guests get no order form, but a way to log in
    assert.notInclude(page.text(), 'action="/orders"')
    page.assertTextIncludes('as an employer to order this service')
  })

  test('is a 404 when {label}')
    .with([
      { label: 'the contractor has not onboarded' },
      { label: 'the service is inactive' },
      { label: 'the contractor can no longer take charges' },
      { label: 'there is no such service' },
      { label: 'the id is not a number' },
      { label: 'the id is too large for the database' },
      { label: 'the id is too large for JavaScript' },
    ])
    .run(async ({ client }, { label }) => {
      let path: string
      if (label === 'the contractor has not onboarded') {
        const contractor = await createUser({ role: 'contractor' })
        const service = await makeService(contractor)
        path = `/services/${service.id}`
      } else if (label === 'the service is inactive') {
        const contractor = await createActiveContractor()
        const service = await makeService(contractor, { active: false })
        path = `/services/${service.id}`
      } else if (label === 'the contractor can no longer take charges') {
        const contractor = await createActiveContractor()
        const service = await makeService(contractor)
        await UserProfile.query()
          .where('userId', contractor.id)
          .update({ chargesEnabled: false, disabledReason: 'requirements.past_due' })
        path = `/services/${service.id}`
      } else if (label === 'there is no such service') {
        path = '/services/424242'
      } else if (label === 'the id is not a number') {
        path = '/services/abc'
      } else if (label === 'the id is too large for the database') {
        path = '/services/9999999999'
      } else {
        path = '/services/99999999999999999999'
      }

      const employer = await createEmployer()
      for (const user of [null, employer]) {
        const request = client.get(path)
        const response = await (user ? request.loginAs(user) : request)
        response.assertStatus(404)
        response.assertTextIncludes('Page not found')
      }
    })

  test('an employer gets an order form with their cards, the default preselected', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const service = await makeService(contractor, { price: 9900 })
    const employer = await createEmployer({}, 'pm_card_visa')
    await addCard(employer, 'pm_card_mastercard', 'second-card')
    const profile = await profileOf(employer)
    const defaultCard = profile.defaultPaymentMethodId!

    const page = await client.get(`/services/${service.id}`).loginAs(employer)

    page.assertStatus(200)
    const html = page.text()
    page.assertTextIncludes('<form method="POST" action="/orders">')
    page.assertTextIncludes("name='_csrf'")
    page.assertTextIncludes(`<input type="hidden" name="service_id" value="${service.id}">`)
    page.assertTextIncludes('<textarea id="note" name="note"')
    page.assertTextIncludes(
      '<select id="payment_method" name="payment_method" aria-describedby="payment_method-hint">'
    )
    const options = [...html.matchAll(/<option value="(pm_[A-Za-z0-9_]+)"\s*(selected)?>/g)]
    assert.lengthOf(options, 2)
    assert.deepEqual(
      options.filter((option) => option[2]).map((option) => option[1]),
      [defaultCard]
    )
    page.assertTextIncludes('Visa ···· 4242 (default)')
    page.assertTextIncludes('Mastercard ···· 4444')
    page.assertTextIncludes('Order for $99.00')
  })

  test('an employer without cards is sent to add one', async ({ client, assert }) => {
    const contractor = await createActiveContractor()
    const service = await makeService(contractor)
    // One with a customer and no card, one whose customer was never created
    const withCustomer = await createEmployer({}, null)
    const withoutCustomer = await createUser({ role: 'employer' })

    for (const employer of [withCustomer, withoutCustomer]) {
      const page = await client.get(`/services/${service.id}`).loginAs(employer)
      page.assertStatus(200)
      page.assertTextIncludes('You need a saved card or a verified bank account to order.')
      page.assertTextIncludes('href="/cards"')
      assert.notInclude(page.text(), 'action="/orders"')
    }
    // Looking at a service does not create a customer
    const profile = await profileOf(withoutCustomer)
    assert.isNull(profile.stripeId)
  })

  test('contractors get no order form, even on their own service', async ({ client, assert }) => {
    const contractor = await createActiveContractor()
    const other = await createActiveContractor()
    const service = await makeService(contractor)

    for (const user of [contractor, other]) {
      const page = await client.get(`/services/${service.id}`).loginAs(user)
      page.assertStatus(200)
      page.assertTextIncludes('Logo design')
      assert.notInclude(page.text(), 'action="/orders"')
      assert.notInclude(page.text(), 'name="payment_method"')
    }
  })

  test('escapes what contractors write', async ({ client, assert }) => {
    const contractor = await createActiveContractor()
    const response = await postService(client, contractor, {
      ...validService,
      title: '<script>alert(1)</script>',
    })
    response.assertStatus(302)
    const [service] = await servicesOf(contractor)

    for (const path of ['/services', `/services/${service.id}`]) {
      const page = await client.get(path)
      assert.include(page.text(), '&lt;script&gt;alert(1)&lt;/script&gt;')
      assert.notInclude(page.text(), '<script>alert(1)</script>')
    }
  })
})

function escapeHtml(text: string) {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}
