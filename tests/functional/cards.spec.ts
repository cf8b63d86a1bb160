import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import app from '@adonisjs/core/services/app'
import type User from '#models/user'
import { stripe } from '#stripe/client'
import type { StripeConfig } from '#config/stripe'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'
import { followRedirect } from '#tests/helpers/http'
import { createEmployer, cutStripeOff, profileOf } from '#tests/helpers/stripe'
import { throughSandboxAuthentication } from '#tests/helpers/three_d_secure'

/** Posts the add-card form as the page does: CSRF token, a form token, a PaymentMethod id */
function postCard(
  client: ApiClient,
  employer: User,
  paymentMethod: string | null,
  formToken: string = randomUUID()
) {
  return client
    .post('/cards')
    .loginAs(employer)
    .withCsrfToken()
    .form({ payment_method: paymentMethod, form_token: formToken })
    .redirects(0)
}

/** The employer's cards as Stripe has them */
async function stripeCards(employer: User) {
  const profile = await profileOf(employer)
  const list = await stripe().paymentMethods.list({ customer: profile.stripeId!, type: 'card' })
  return list.data
}

async function stripeCustomer(employer: User) {
  const profile = await profileOf(employer)
  const customer = await stripe().customers.retrieve(profile.stripeId!)
  if (customer.deleted) {
    throw new Error('customer deleted')
  }
  return customer
}

async function stripeIdOf(user: User) {
  const profile = await profileOf(user)
  return profile.stripeId
}

/** The default card as Crewpay records it */
async function localDefault(employer: User) {
  const profile = await profileOf(employer)
  return profile.defaultPaymentMethodId
}

/** The default card as Stripe records it (the customer's invoice_settings) */
async function stripeDefault(employer: User) {
  const customer = await stripeCustomer(employer)
  return customer.invoice_settings.default_payment_method
}

async function cardIds(employer: User) {
  const cards = await stripeCards(employer)
  return cards.map((card) => card.id)
}

async function setupIntentsOf(employer: User) {
  const list = await stripe().setupIntents.list({ customer: (await stripeIdOf(employer))! })
  return list.data
}

/** An employer with a customer and the given cards saved, in order (the first is the default) */
async function employerWithCards(...cards: string[]) {
  const employer = await createEmployer({}, null)
  for (const card of cards) {
    const { addCard } = await import('#actions/billing/add_card')
    await addCard(employer, card, randomUUID())
  }
  const saved = await stripeCards(employer)
  // Stripe lists newest first; give them back in the order they were added
  return { employer, cards: saved.reverse() }
}

test.group('Cards: page and access', (group) => {
  group.each.setup(() => truncateAllTables())

  test('creates the Stripe customer on demand and offers the test cards', async ({
    client,
    assert,
  }) => {
    // Signup could not reach Stripe: no customer yet
    const employer = await createUser({ role: 'employer' })
    assert.isNull(await stripeIdOf(employer))

    const page = await client.get('/cards').loginAs(employer)

    page.assertStatus(200)
    page.assertTextIncludes('You have no saved cards yet.')
    page.assertTextIncludes('<form method="POST" action="/cards" id="add-card-form">')
    page.assertTextIncludes("name='_csrf'")
    assert.match(page.text(), /name="form_token" value="[0-9a-f-]{36}"/)
    for (const card of [
      'pm_card_visa',
      'pm_card_mastercard',
      'pm_card_bypassPending',
      'pm_card_visa_chargeDeclined',
      'pm_card_visa_chargeDeclinedInsufficientFunds',
      'pm_card_chargeDeclinedExpiredCard',
      'pm_card_chargeCustomerFail',
      'pm_card_authenticationRequired',
    ]) {
      page.assertTextIncludes(`name="payment_method" value="${card}"`)
    }
    assert.notInclude(page.text(), 'js.stripe.com')

    const profile = await profileOf(employer)
    assert.match(profile.stripeId!, /^cus_/)
    const customer = await stripe().customers.retrieve(profile.stripeId!)
    assert.equal((customer as { email: string }).email, employer.email)

    // A second visit reuses the same customer
    await client.get('/cards').loginAs(employer)
    assert.equal(await stripeIdOf(employer), profile.stripeId)
  })

  test('with real Stripe the page uses Stripe.js Elements and no test cards', async ({
    client,
    assert,
    cleanup,
  }) => {
    const config = app.config.get<StripeConfig>('stripe')
    const saved = { mode: config.mode, publishableKey: config.publishableKey }
    app.config.set('stripe.mode', 'stripe')
    app.config.set('stripe.publishableKey', 'pk_test_crewpay123')
    cleanup(() => {
      app.config.set('stripe.mode', saved.mode)
      app.config.set('stripe.publishableKey', saved.publishableKey)
    })
    const employer = await createEmployer({}, null)

    const page = await client.get('/cards').loginAs(employer)

    page.assertStatus(200)
    page.assertTextIncludes('<script src="https://js.stripe.com/v3/"></script>')
    page.assertTextIncludes('<script src="/js/cards.js"></script>')
    page.assertTextIncludes('data-publishable-key="pk_test_crewpay123"')
    page.assertTextIncludes('<input type="hidden" name="payment_method" value="">')
    assert.notInclude(page.text(), 'pm_card_visa')

    const script = await client.get('/js/cards.js')
    script.assertStatus(200)
    assert.include(script.text(), 'createPaymentMethod')
    assert.notInclude(script.text(), 'card_number')
  })

  test('with real Stripe and no publishable key the page says so', async ({
    client,
    assert,
    cleanup,
  }) => {
    const config = app.config.get<StripeConfig>('stripe')
    const saved = { mode: config.mode, publishableKey: config.publishableKey }
    app.config.set('stripe.mode', 'stripe')
    app.config.set('stripe.publishableKey', null)
    cleanup(() => {
      app.config.set('stripe.mode', saved.mode)
      app.config.set('stripe.publishableKey', saved.publishableKey)
    })
    const employer = await createEmployer({}, null)

    const page = await client.get('/cards').loginAs(employer)

    page.assertStatus(200)
    page.assertTextIncludes('STRIPE_PUBLISHABLE_KEY')
    assert.notInclude(page.text(), 'action="/cards" id="add-card-form"')
  })

  test('contractors get 403 on every card route; guests are sent to log in', async ({
    client,
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    const { cards } = await employerWithCards('pm_card_visa')
    const pm = cards[0].id

    const requests = [
      client.get('/cards'),
      client.post('/cards').withCsrfToken().form({ payment_method: 'pm_card_visa' }),
      client.post(`/cards/${pm}/default`).withCsrfToken(),
      client.delete(`/cards/${pm}`).withCsrfToken(),
    ]
    for (const request of requests) {
      const response = await request.loginAs(contractor).redirects(0)
      response.assertStatus(403)
      response.assertTextIncludes('This page is for employer accounts.')
    }
    assert.isNull(await stripeIdOf(contractor))

    const guest = await client.get('/cards').redirects(0)
    guest.assertStatus(302)
    guest.assertHeader('location', '/login')
  })

  test('refuses a form without its CSRF token', async ({ client, assert }) => {
    const employer = await createEmployer({}, null)

    const response = await client
      .post('/cards')
      .loginAs(employer)
      .form({ payment_method: 'pm_card_visa', form_token: randomUUID() })
      .redirects(0)

    response.assertStatus(302)
    assert.equal(response.flashMessage('error'), 'Invalid or expired CSRF token')
    assert.lengthOf(await stripeCards(employer), 0)
  })
})

test.group('Cards: adding', (group) => {
  group.each.setup(() => truncateAllTables())

  test('saves a card on the customer and makes the first one the default', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer({}, null)

    const response = await postCard(client, employer, 'pm_card_visa')

    response.assertStatus(302)
    response.assertHeader('location', '/cards')
    assert.equal(response.flashMessage('success'), 'Visa ending 4242 saved as your default card.')

    const cards = await stripeCards(employer)
    assert.lengthOf(cards, 1)
    const [card] = cards
    const profile = await profileOf(employer)
    assert.match(card.id, /^pm_/)
    assert.equal(card.customer, profile.stripeId)
    assert.equal(card.card?.last4, '4242')
    assert.equal(profile.defaultPaymentMethodId, card.id)
    const customer = await stripeCustomer(employer)
    assert.equal(customer.invoice_settings.default_payment_method, card.id)
    // Saved with a SetupIntent for off-session use
    const intents = await setupIntentsOf(employer)
    assert.lengthOf(intents, 1)
    assert.equal(intents[0].status, 'succeeded')
    assert.equal(intents[0].usage, 'off_session')

    const page = await followRedirect(client, response)
    page.assertStatus(200)
    page.assertTextIncludes('Visa ending 4242 saved as your default card.')
    page.assertTextIncludes('Visa ···· 4242')
    page.assertTextIncludes('<span class="badge ok">Default</span>')
    page.assertTextIncludes(`12/${card.card!.exp_year}`)
    page.assertTextIncludes(`<form method="POST" action="/cards/${card.id}?_method=DELETE"`)
    // The default card has no "make default" button
    assert.notInclude(page.text(), `action="/cards/${card.id}/default"`)
  })

  test('a second card is saved but does not become the default', async ({ client, assert }) => {
    const { employer, cards: before } = await employerWithCards('pm_card_visa')

    const response = await postCard(client, employer, 'pm_card_mastercard')

    assert.equal(response.flashMessage('success'), 'Mastercard ending 4444 saved.')
    const cards = await stripeCards(employer)
    assert.lengthOf(cards, 2)
    const mastercard = cards.find((card) => card.card?.brand === 'mastercard')!
    const profile = await profileOf(employer)
    assert.equal(profile.defaultPaymentMethodId, before[0].id)
    assert.equal(await stripeDefault(employer), before[0].id)
    const page = await followRedirect(client, response)
    page.assertTextIncludes('Mastercard ···· 4444')
    page.assertTextIncludes(`<form method="POST" action="/cards/${mastercard.id}/default"`)
    assert.notInclude(page.text(), `action="/cards/${before[0].id}/default"`)
    // One default badge, on the first card
    assert.lengthOf(page.text().match(/badge ok">Default/g) ?? [], 1)
  })

  test('a card that saves but fails every payment is saved', async ({ client, assert }) => {
    const employer = await createEmployer({}, null)

    const response = await postCard(client, employer, 'pm_card_chargeCustomerFail')

    assert.equal(response.flashMessage('success'), 'Visa ending 0341 saved as your default card.')
    const cards = await stripeCards(employer)
    assert.lengthOf(cards, 1)
    assert.equal(cards[0].card?.last4, '0341')
    assert.equal(await localDefault(employer), cards[0].id)
  })

  test('{card} is declined with "{message}" and not saved')
    .with([
      { card: 'pm_card_visa_chargeDeclined', message: 'Your card was declined.' },
      {
        card: 'pm_card_visa_chargeDeclinedInsufficientFunds',
        message: 'Your card has insufficient funds.',
      },
      { card: 'pm_card_chargeDeclinedExpiredCard', message: 'Your card has expired.' },
    ])
    .run(async ({ client, assert }, { card, message }) => {
      const employer = await createEmployer({}, null)

      const response = await postCard(client, employer, card)

      response.assertStatus(302)
      response.assertHeader('location', '/cards')
      assert.equal(response.flashMessage('error'), message)
      assert.isUndefined(response.flashMessage('success'))
      assert.lengthOf(await stripeCards(employer), 0)
      assert.isNull(await localDefault(employer))
      assert.isNull(await stripeDefault(employer))

      const page = await followRedirect(client, response)
      page.assertStatus(200)
      page.assertTextIncludes(
        `<p class="flash error" role="alert">${message.replace("'", '&#39;')}</p>`
      )
      page.assertTextIncludes('You have no saved cards yet.')
    })

  test('a decline does not change the cards already saved', async ({ client, assert }) => {
    const { employer, cards } = await employerWithCards('pm_card_visa')

    const response = await postCard(client, employer, 'pm_card_visa_chargeDeclined')

    assert.equal(response.flashMessage('error'), 'Your card was declined.')
    const after = await stripeCards(employer)
    assert.deepEqual(
      after.map((card) => card.id),
      [cards[0].id]
    )
    assert.equal(await localDefault(employer), cards[0].id)
  })

  test('a card that needs authentication is saved once the employer confirms it with the bank', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer({}, null)

    const response = await postCard(client, employer, 'pm_card_authenticationRequiredOnSetup')

    response.assertStatus(302)
    response.assertHeader('location', '/cards')
    assert.isUndefined(response.flashMessage('error'))
    const [waiting] = await setupIntentsOf(employer)
    assert.equal(waiting.status, 'requires_action')
    assert.equal(waiting.next_action?.type, 'redirect_to_url')
    // Nothing saved yet
    assert.lengthOf(await stripeCards(employer), 0)
    const page = await followRedirect(client, response)
    page.assertTextIncludes('Confirm Visa ending 3155 with your bank')
    page.assertTextIncludes(`href="/cards/authenticate/${waiting.id}"`)

    // The link sends the employer to the bank's page (the sandbox's test page)
    const toBank = await client
      .get(`/cards/authenticate/${waiting.id}`)
      .loginAs(employer)
      .redirects(0)
    toBank.assertStatus(302)
    const bankPage = toBank.header('location')!
    assert.equal(bankPage, waiting.next_action!.redirect_to_url!.url)
    assert.include(bankPage, `/sandbox/authenticate/${waiting.id}`)

    const back = await throughSandboxAuthentication(bankPage, 'succeed')
    assert.equal(back.query.get('setup_intent'), waiting.id)
    assert.match(back.path, /^\/cards\/authenticated\?/)
    const returned = await client.get(back.path).loginAs(employer).redirects(0)

    returned.assertHeader('location', '/cards')
    assert.equal(returned.flashMessage('success'), 'Visa ending 3155 saved as your default card.')
    const cards = await stripeCards(employer)
    assert.lengthOf(cards, 1)
    assert.equal(await localDefault(employer), cards[0].id)
    assert.equal(await stripeDefault(employer), cards[0].id)
    // Coming back again changes nothing
    const again = await client.get(back.path).loginAs(employer).redirects(0)
    again.assertHeader('location', '/cards')
    assert.lengthOf(await stripeCards(employer), 1)
  })

  test('a failed authentication saves nothing and says so', async ({ client, assert }) => {
    const employer = await createEmployer({}, null)
    await postCard(client, employer, 'pm_card_authenticationRequired')
    const [waiting] = await setupIntentsOf(employer)

    const back = await throughSandboxAuthentication(
      waiting.next_action!.redirect_to_url!.url!,
      'fail'
    )
    const returned = await client.get(back.path).loginAs(employer).redirects(0)

    returned.assertHeader('location', '/cards')
    assert.match(String(returned.flashMessage('error')), /did not confirm this card/)
    assert.lengthOf(await stripeCards(employer), 0)
    assert.isNull(await localDefault(employer))
    // The link to the bank's page is refused now: nothing left to authenticate
    const link = await client
      .get(`/cards/authenticate/${waiting.id}`)
      .loginAs(employer)
      .redirects(0)
    assert.match(String(link.flashMessage('error')), /not waiting for authentication/)
  })

  test('coming back without authenticating offers the bank page again', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer({}, null)
    await postCard(client, employer, 'pm_card_authenticationRequired')
    const [waiting] = await setupIntentsOf(employer)

    const returned = await client
      .get(`/cards/authenticated?setup_intent=${waiting.id}`)
      .loginAs(employer)
      .redirects(0)

    assert.deepEqual(returned.flashMessage('cardAuthentication'), {
      setupIntentId: waiting.id,
      cardName: 'Visa ending 3184',
    })
    assert.lengthOf(await stripeCards(employer), 0)
  })

  test("another employer's card authentication is a 404", async ({ client, assert }) => {
    const employer = await createEmployer({}, null)
    const other = await createEmployer({}, null)
    await postCard(client, employer, 'pm_card_authenticationRequiredOnSetup')
    const [waiting] = await setupIntentsOf(employer)

    for (const path of [
      `/cards/authenticate/${waiting.id}`,
      `/cards/authenticated?setup_intent=${waiting.id}`,
      '/cards/authenticated?setup_intent=seti_unknown123',
      '/cards/authenticated',
    ]) {
      const response = await client.get(path).loginAs(other).redirects(0)
      response.assertStatus(404)
    }
    // Even after the owner authenticated, the other employer cannot claim it
    await throughSandboxAuthentication(waiting.next_action!.redirect_to_url!.url!, 'succeed')
    const claim = await client
      .get(`/cards/authenticated?setup_intent=${waiting.id}`)
      .loginAs(other)
      .redirects(0)
    claim.assertStatus(404)
    assert.lengthOf(await stripeCards(other), 0)
  })

  test('refuses {label} with a message, without asking Stripe or keeping the input')
    .with([
      { label: 'an empty field', value: '', message: 'Choose a card to add.' },
      { label: 'a missing field', value: null, message: 'Choose a card to add.' },
      {
        label: 'a card number',
        value: '4242424242424242',
        message: 'This is not a card reference from Stripe.',
      },
      {
        label: 'a card number with spaces',
        value: '4242 4242 4242 4242',
        message: 'This is not a card reference from Stripe.',
      },
      {
        label: 'a script tag',
        value: '<script>alert(1)</script>',
        message: 'This is not a card reference from Stripe.',
      },
      {
        label: '500 characters',
        value: `pm_${'a'.repeat(497)}`,
        message: 'This is not a card reference from Stripe.',
      },
      {
        label: 'a pm_ id with punctuation',
        value: 'pm_card_visa;drop',
        message: 'This is not a card reference from Stripe.',
      },
    ])
    .run(async ({ client, assert }, { value, message }) => {
      const employer = await createEmployer({}, null)

      const response = await client
        .post('/cards')
        .loginAs(employer)
        .withCsrfToken()
        .form(value === null ? { form_token: randomUUID() } : { payment_method: value })
        .redirects(0)

      response.assertStatus(302)
      response.assertHeader('location', '/cards')
      const errors = response.flashMessage('inputErrorsBag') as Record<string, string[]>
      assert.lengthOf(errors.payment_method, 1)
      assert.isTrue(errors.payment_method[0].startsWith(message), errors.payment_method[0])
      if (value) {
        // What was typed is not kept in the session (it could be a card number)
        assert.notInclude(JSON.stringify(response.flashMessages()), value)
      }
      const intents = await setupIntentsOf(employer)
      assert.lengthOf(intents, 0)
      assert.lengthOf(await stripeCards(employer), 0)

      const page = await followRedirect(client, response)
      page.assertStatus(200)
      page.assertTextIncludes(message)
      if (value) {
        assert.notInclude(page.text(), value)
      }
    })

  test('answers JSON clients with a 422 for bad input', async ({ client, assert }) => {
    const employer = await createEmployer({}, null)

    const response = await client
      .post('/cards')
      .loginAs(employer)
      .withCsrfToken()
      .accept('json')
      .form({ payment_method: '4242424242424242' })

    response.assertStatus(422)
    assert.notInclude(response.text(), '4242424242424242')
  })

  test('refuses a malformed form token', async ({ client, assert }) => {
    const employer = await createEmployer({}, null)

    const response = await postCard(client, employer, 'pm_card_visa', 'not-a-uuid')

    response.assertStatus(302)
    assert.deepEqual(response.flashMessage('inputErrorsBag').form_token, [
      'This form has expired. Reload the page and try again.',
    ])
    assert.lengthOf(await stripeCards(employer), 0)
  })

  test('an unknown PaymentMethod id gets a message, not a 500', async ({ client, assert }) => {
    const employer = await createEmployer({}, null)

    const response = await postCard(client, employer, 'pm_1NoSuchPaymentMethod')

    response.assertStatus(302)
    assert.equal(
      response.flashMessage('error'),
      'This card could not be saved. Enter the card again or use another card.'
    )
    assert.lengthOf(await stripeCards(employer), 0)
  })

  test("another employer's saved card cannot be added", async ({ client, assert }) => {
    const { employer: other, cards } = await employerWithCards('pm_card_visa')
    const employer = await createEmployer({}, null)

    const response = await postCard(client, employer, cards[0].id)

    response.assertStatus(302)
    assert.equal(
      response.flashMessage('error'),
      'This card could not be saved. Enter the card again or use another card.'
    )
    assert.lengthOf(await stripeCards(employer), 0)
    assert.deepEqual(await cardIds(other), [cards[0].id])
  })

  test('a double submit of the same form saves one card', async ({ client, assert }) => {
    const employer = await createEmployer({}, null)
    const formToken = randomUUID()

    const first = await postCard(client, employer, 'pm_card_visa', formToken)
    const second = await postCard(client, employer, 'pm_card_visa', formToken)

    first.assertStatus(302)
    second.assertStatus(302)
    assert.equal(second.flashMessage('success'), 'Visa ending 4242 saved as your default card.')
    const cards = await stripeCards(employer)
    assert.lengthOf(cards, 1)
    assert.equal(await localDefault(employer), cards[0].id)
    const intents = await setupIntentsOf(employer)
    assert.lengthOf(intents, 1)
  })

  test('two simultaneous submits of the same form save one card', async ({ client, assert }) => {
    const employer = await createEmployer({}, null)
    const formToken = randomUUID()

    const responses = await Promise.all([
      postCard(client, employer, 'pm_card_visa', formToken),
      postCard(client, employer, 'pm_card_visa', formToken),
    ])

    for (const response of responses) {
      response.assertStatus(302)
      assert.isUndefined(response.flashMessage('error'))
    }
    const cards = await stripeCards(employer)
    assert.lengthOf(cards, 1)
    assert.equal(await localDefault(employer), cards[0].id)
  })

  test('a fresh form saves another card of the same kind', async ({ client, assert }) => {
    const employer = await createEmployer({}, null)

    await postCard(client, employer, 'pm_card_visa')
    await postCard(client, employer, 'pm_card_visa')

    assert.lengthOf(await stripeCards(employer), 2)
  })

  test('the same form can be sent again with another card after a decline', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer({}, null)
    const formToken = randomUUID()

    const declined = await postCard(client, employer, 'pm_card_visa_chargeDeclined', formToken)
    const saved = await postCard(client, employer, 'pm_card_visa', formToken)

    assert.equal(declined.flashMessage('error'), 'Your card was declined.')
    assert.equal(saved.flashMessage('success'), 'Visa ending 4242 saved as your default card.')
    assert.lengthOf(await stripeCards(employer), 1)
  })
})

test.group('Cards: default and removal', (group) => {
  group.each.setup(() => truncateAllTables())

  test('makes another card the default, locally and on the customer', async ({
    client,
    assert,
  }) => {
    const { employer, cards } = await employerWithCards('pm_card_visa', 'pm_card_mastercard')
    const [visa, mastercard] = cards
    assert.equal(await localDefault(employer), visa.id)

    const response = await client
      .post(`/cards/${mastercard.id}/default`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)

    response.assertStatus(302)
    response.assertHeader('location', '/cards')
    assert.equal(
      response.flashMessage('success'),
      'Mastercard ending 4444 is now your default card.'
    )
    assert.equal(await localDefault(employer), mastercard.id)
    assert.equal(await stripeDefault(employer), mastercard.id)
    const page = await followRedirect(client, response)
    page.assertTextIncludes(`action="/cards/${visa.id}/default"`)
    assert.notInclude(page.text(), `action="/cards/${mastercard.id}/default"`)

    // And back again: a new request, not a replay of the first switch
    await client.post(`/cards/${visa.id}/default`).loginAs(employer).withCsrfToken()
    await client.post(`/cards/${mastercard.id}/default`).loginAs(employer).withCsrfToken()
    await client.post(`/cards/${visa.id}/default`).loginAs(employer).withCsrfToken()
    assert.equal(await localDefault(employer), visa.id)
    assert.equal(await stripeDefault(employer), visa.id)
  })

  test('removes a card that is not the default', async ({ client, assert }) => {
    const { employer, cards } = await employerWithCards('pm_card_visa', 'pm_card_mastercard')
    const [visa, mastercard] = cards

    const response = await client
      .delete(`/cards/${mastercard.id}`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)

    response.assertStatus(302)
    response.assertHeader('location', '/cards')
    assert.equal(response.flashMessage('success'), 'Mastercard ending 4444 removed.')
    assert.deepEqual(await cardIds(employer), [visa.id])
    const detached = await stripe().paymentMethods.retrieve(mastercard.id)
    assert.isNull(detached.customer)
    assert.equal(await localDefault(employer), visa.id)
    assert.equal(await stripeDefault(employer), visa.id)
  })

  test('removes a card through the method-spoofed form the page renders', async ({
    client,
    assert,
  }) => {
    const { employer, cards } = await employerWithCards('pm_card_visa')

    const response = await client
      .post(`/cards/${cards[0].id}?_method=DELETE`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)

    response.assertStatus(302)
    assert.equal(response.flashMessage('success'), 'Visa ending 4242 removed.')
    assert.lengthOf(await stripeCards(employer), 0)
  })

  test('removing the default card makes the newest remaining card the default', async ({
    client,
    assert,
  }) => {
    const { employer, cards } = await employerWithCards(
      'pm_card_visa',
      'pm_card_mastercard',
      'pm_card_bypassPending'
    )
    const [visa, , newest] = cards

    const response = await client
      .delete(`/cards/${visa.id}`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)

    assert.equal(
      response.flashMessage('success'),
      'Visa ending 4242 removed. Visa ending 0077 is now your default card.'
    )
    assert.lengthOf(await stripeCards(employer), 2)
    assert.equal(await localDefault(employer), newest.id)
    assert.equal(await stripeDefault(employer), newest.id)
  })

  test('removing the last card leaves no default', async ({ client, assert }) => {
    const { employer, cards } = await employerWithCards('pm_card_visa')

    const response = await client
      .delete(`/cards/${cards[0].id}`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)

    assert.equal(response.flashMessage('success'), 'Visa ending 4242 removed.')
    assert.lengthOf(await stripeCards(employer), 0)
    assert.isNull(await localDefault(employer))
    assert.isNull(await stripeDefault(employer))
    const page = await followRedirect(client, response)
    page.assertTextIncludes('You have no saved cards yet.')
  })

  test("another employer's card is a 404 and nothing changes", async ({ client, assert }) => {
    const { employer: other, cards: otherCards } = await employerWithCards('pm_card_visa')
    const { employer, cards } = await employerWithCards('pm_card_mastercard')
    const theirs = otherCards[0].id

    const makeDefault = await client
      .post(`/cards/${theirs}/default`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)
    const remove = await client
      .delete(`/cards/${theirs}`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)

    for (const response of [makeDefault, remove]) {
      response.assertStatus(404)
      response.assertTextIncludes('Page not found')
    }
    // Their card is still theirs and still their default
    assert.deepEqual(await cardIds(other), [theirs])
    assert.equal(await localDefault(other), theirs)
    assert.equal(await stripeDefault(other), theirs)
    // And mine did not change
    assert.equal(await localDefault(employer), cards[0].id)
    assert.equal(await stripeDefault(employer), cards[0].id)
  })

  test('unknown, test and malformed card ids are 404s', async ({ client }) => {
    const { employer } = await employerWithCards('pm_card_visa')

    for (const id of [
      'pm_1NoSuchCard',
      'pm_card_mastercard',
      'not_a_card',
      encodeURIComponent('<script>'),
      `pm_${'a'.repeat(200)}`,
    ]) {
      const makeDefault = await client
        .post(`/cards/${id}/default`)
        .loginAs(employer)
        .withCsrfToken()
        .redirects(0)
      makeDefault.assertStatus(404)
      const remove = await client
        .delete(`/cards/${id}`)
        .loginAs(employer)
        .withCsrfToken()
        .redirects(0)
      remove.assertStatus(404)
    }
  })

  test('a removed card cannot be made the default again', async ({ client, assert }) => {
    const { employer, cards } = await employerWithCards('pm_card_visa', 'pm_card_mastercard')
    const [visa, mastercard] = cards
    await client.delete(`/cards/${mastercard.id}`).loginAs(employer).withCsrfToken()

    const response = await client
      .post(`/cards/${mastercard.id}/default`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)

    response.assertStatus(404)
    assert.equal(await localDefault(employer), visa.id)
  })
})

test.group('Cards: Stripe unreachable', (group) => {
  group.each.setup(() => truncateAllTables())

  test('every card page and action answers with a message, never a 500', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { employer, cards } = await employerWithCards('pm_card_visa', 'pm_card_mastercard')
    const [visa, mastercard] = cards
    cleanup(await cutStripeOff())

    const page = await client.get('/cards').loginAs(employer)
    page.assertStatus(200)
    page.assertTextIncludes('Your saved cards cannot be shown right now')
    // Adding stays possible: the form is there
    page.assertTextIncludes('action="/cards" id="add-card-form"')

    const unreachable =
      'Our payment provider could not be reached. Try again in a moment; a retry never charges twice.'
    const add = await postCard(client, employer, 'pm_card_visa')
    add.assertStatus(302)
    add.assertHeader('location', '/cards')
    assert.equal(add.flashMessage('error'), unreachable)

    for (const request of [
      client.post(`/cards/${mastercard.id}/default`),
      client.delete(`/cards/${visa.id}`),
    ]) {
      const response = await request.loginAs(employer).withCsrfToken().redirects(0)
      response.assertStatus(302)
      response.assertHeader('location', '/cards')
      assert.equal(response.flashMessage('error'), unreachable)
    }
    assert.equal(await localDefault(employer), visa.id)
  }).timeout(60_000)
})

test.group('Cards: card testing', (group) => {
  group.each.setup(() => truncateAllTables())

  test('five refused cards within an hour pause adding cards for that employer', async ({
    client,
    assert,
  }) => {
    const employer = await createEmployer({}, null)
    const other = await createEmployer({}, null)
    const refused = [
      'pm_card_visa_chargeDeclined',
      'pm_card_visa_chargeDeclinedInsufficientFunds',
      'pm_card_chargeDeclinedExpiredCard',
      'pm_card_chargeDeclinedIncorrectCvc',
    ]
    // A success in between does not reset the count
    for (const card of [...refused, 'pm_card_visa', 'pm_card_visa_chargeDeclined']) {
      await postCard(client, employer, card)
    }
    const before = await setupIntentsOf(employer)

    const blocked = await postCard(client, employer, 'pm_card_mastercard')

    blocked.assertStatus(302)
    blocked.assertHeader('location', '/cards')
    assert.match(
      String(blocked.flashMessage('error')),
      /^Too many cards were declined\. You can add a card again in \d+ minutes\.$/
    )
    // Stripe was not asked, and only the good card is saved
    assert.lengthOf(await setupIntentsOf(employer), before.length)
    assert.lengthOf(await stripeCards(employer), 1)
    // Making another card the default or removing one still works
    const [card] = await stripeCards(employer)
    const removal = await client
      .delete(`/cards/${card.id}`)
      .loginAs(employer)
      .withCsrfToken()
      .redirects(0)
    assert.equal(removal.flashMessage('success'), 'Visa ending 4242 removed.')

    // Other employers are not affected
    const fine = await postCard(client, other, 'pm_card_mastercard')
    assert.equal(fine.flashMessage('success'), 'Mastercard ending 4444 saved as your default card.')
  })

  test('bad input is not counted as a refused card', async ({ client }) => {
    const employer = await createEmployer({}, null)
    for (let attempt = 0; attempt < 6; attempt++) {
      await postCard(client, employer, '4242424242424242')
    }

    const response = await postCard(client, employer, 'pm_card_visa')

    response.assertStatus(302)
    response.assertFlashMessage('success', 'Visa ending 4242 saved as your default card.')
  })
})
