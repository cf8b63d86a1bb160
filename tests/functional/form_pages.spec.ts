import { test } from '@japa/runner'
import Order from '#models/order'
import Service from '#models/service'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'
import { followRedirect } from '#tests/helpers/http'
import { createActiveContractor, createEmployer } from '#tests/helpers/stripe'
import { createService } from '#tests/helpers/orders'

/** This test run's app, as a browser's Referer names it */
const origin = () => `http://${process.env.HOST}:${process.env.PORT}`

/*
| Browsers with strict privacy settings send no Referer: a refused form must
| still come back to its own page with its errors and what was typed. The
| api client sends no Referer unless told to.
*/
test.group('Refused forms without a Referer', (group) => {
  group.each.setup(() => truncateAllTables())

  test('signup: back to /signup with the errors and what was typed', async ({ client }) => {
    const response = await client
      .post('/signup')
      .withCsrfToken()
      .form({ full_name: 'Ada Lovelace', email: 'nope', password: 'x', role: 'employer' })
      .redirects(0)
    response.assertHeader('location', '/signup')
    const page = await followRedirect(client, response)
    page.assertStatus(200)
    page.assertTextIncludes('Enter a valid email address.')
    page.assertTextIncludes('value="Ada Lovelace"')
  })

  test('login: wrong credentials and a missing CSRF token come back to /login', async ({
    client,
    assert,
  }) => {
    await createUser({ email: 'ada@example.com', password: 'analytical-engine-1843' })

    const wrong = await client
      .post('/login')
      .withCsrfToken()
      .form({ email: 'ada@example.com', password: 'wrong-password-1' })
      .redirects(0)
    wrong.assertHeader('location', '/login')
    const page = await followRedirect(client, wrong)
    page.assertTextIncludes('That email and password do not match an account.')
    page.assertTextIncludes('value="ada@example.com"')
    assert.notInclude(page.text(), 'wrong-password-1')

    const noToken = await client
      .post('/login')
      .form({ email: 'ada@example.com', password: 'analytical-engine-1843' })
      .redirects(0)
    noToken.assertHeader('location', '/login')
    assert.equal(noToken.flashMessage('error'), 'Invalid or expired CSRF token')
  })

  test('a Referer of our own still wins; a foreign one does not', async ({ client }) => {
    const own = await client
      .post('/login')
      .withCsrfToken()
      .header('referer', `${origin()}/login?next=1`)
      .form({ email: 'nope', password: 'x' })
      .redirects(0)
    own.assertHeader('location', `${origin()}/login?next=1`)

    const foreign = await client
      .post('/login')
      .withCsrfToken()
      .header('referer', 'https://evil.example/phish')
      .form({ email: 'nope', password: 'x' })
      .redirects(0)
    foreign.assertHeader('location', '/login')
  })

  test('my services and cards come back to their pages', async ({ client }) => {
    const contractor = await createUser({ role: 'contractor' })
    const service = await client
      .post('/my/services')
      .loginAs(contractor)
      .withCsrfToken()
      .form({ title: '', description: '', price: '', currency: 'usd' })
      .redirects(0)
    service.assertHeader('location', '/my/services')

    const employer = await createUser({ role: 'employer' })
    const card = await client
      .post('/cards')
      .loginAs(employer)
      .withCsrfToken()
      .form({ payment_method: '4242424242424242' })
      .redirects(0)
    card.assertHeader('location', '/cards')
  })
})

test.group('The order form on a service page', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a refusal of the order comes back to the service page, with or without a Referer', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const service = await createService(contractor)
    // No card: placeOrder refuses with a message
    const employer = await createEmployer({}, null)

    const response = await client
      .post('/orders')
      .loginAs(employer)
      .withCsrfToken()
      .form({ service_id: String(service.id), note: 'Please start Monday' })
      .redirects(0)
    response.assertStatus(302)
    response.assertHeader('location', `/services/${service.id}`)
    assert.equal(
      response.flashMessage('error'),
      'Add a card or a bank account before placing an order.'
    )
    assert.lengthOf(await Order.all(), 0)
    const page = await followRedirect(client, response)
    page.assertStatus(200)
    page.assertTextIncludes('Add a card or a bank account before placing an order.')
  })

  test('an error on the hidden service_id is shown on the service page it came from', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const service = await createService(contractor)
    const employer = await createEmployer()

    const response = await client
      .post('/orders')
      .loginAs(employer)
      .withCsrfToken()
      .header('referer', `${origin()}/services/${service.id}`)
      .form({ service_id: 'abc' })
      .redirects(0)
    response.assertHeader('location', `${origin()}/services/${service.id}`)
    const page = await followRedirect(client, response)
    page.assertStatus(200)
    page.assertTextIncludes('Choose a service.')
    assert.lengthOf(await Order.all(), 0)

    // Without a Referer and without a usable service id: the listing, with the message
    const lost = await client
      .post('/orders')
      .loginAs(employer)
      .withCsrfToken()
      .form({ service_id: '-1' })
      .redirects(0)
    lost.assertHeader('location', '/services')
    const listing = await followRedirect(client, lost)
    listing.assertStatus(200)
    listing.assertTextIncludes('Choose a service.')
    assert.lengthOf(await Service.all(), 1)
  })
})
