import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import type User from '#models/user'
import Order from '#models/order'
import type Service from '#models/service'
import { appUrl } from '#config/app'
import { stripe } from '#stripe/client'
import { finishCardAuthentication, setUpCard } from '#actions/billing/add_card'
import { truncateAllTables } from '#tests/helpers/database'
import { followRedirect } from '#tests/helpers/http'
import { createActiveContractor, createEmployer, defaultCardOf } from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { throughSandboxAuthentication } from '#tests/helpers/three_d_secure'

/**
 * An employer whose default card asks for 3-D Secure: saved as the page
 * saves it (authenticated with the bank's test page helper)
 */
async function employerWithCard(card: string) {
  const employer = await createEmployer({ fullName: 'Erin Employer' }, null)
  const setup = await setUpCard(employer, card, randomUUID(), { interactive: true })
  if (setup.kind === 'authenticate') {
    await stripe().rawRequest(
      'POST',
      `/v1/test_helpers/sandbox/setup_intents/${setup.setupIntentId}/authenticate`,
      { outcome: 'succeed' }
    )
    const finished = await finishCardAuthentication(employer, setup.setupIntentId)
    if (finished.kind !== 'saved') {
      throw new Error('The card was not saved')
    }
  }
  return employer
}

async function marketplace(card = 'pm_card_authenticationRequired') {
  const contractor = await createActiveContractor({ fullName: 'Carla Contractor' })
  const employer = await employerWithCard(card)
  const service = await createService(contractor, { price: 12000 })
  return { contractor, employer, service }
}

function placeFromThePage(client: ApiClient, employer: User, service: Service) {
  return client
    .post('/orders')
    .loginAs(employer)
    .withCsrfToken()
    .form({ service_id: service.id })
    .redirects(0)
}

/** Follows the order page's "Authenticate your payment" link to the bank and back */
async function authenticate(
  client: ApiClient,
  employer: User,
  orderId: number,
  outcome: 'succeed' | 'fail'
) {
  const toBank = await client.get(`/orders/${orderId}/authenticate`).loginAs(employer).redirects(0)
  toBank.assertStatus(302)
  const back = await throughSandboxAuthentication(toBank.header('location')!, outcome)
  return client.get(back.path).loginAs(employer).redirects(0)
}

test.group('3-D Secure on an order', (group) => {
  group.each.setup(() => truncateAllTables())

  test('the card asks for authentication: the employer goes to the bank and the order resumes', async ({
    client,
    assert,
  }) => {
    const { contractor, employer, service } = await marketplace()

    const response = await placeFromThePage(client, employer, service)

    const placed = await Order.firstOrFail()
    response.assertHeader('location', `/orders/${placed.id}`)
    assert.match(String(response.flashMessage('error')), /Your bank asks you to authenticate/)
    const waiting = await stateOf(placed)
    assert.equal(waiting.payment.status, 'requires_action')
    assert.isTrue(waiting.payment.onSession)
    assert.equal(waiting.line.status, 'requested')
    const paymentIntent = await stripe().paymentIntents.retrieve(
      waiting.payment.stripePaymentIntentId!
    )
    assert.equal(paymentIntent.next_action?.type, 'redirect_to_url')
    assert.equal(
      paymentIntent.next_action?.redirect_to_url?.return_url,
      `${appUrl}/orders/${placed.id}/authenticated`
    )
    const page = await followRedirect(client, response)
    page.assertTextIncludes('Authenticate your payment')
    page.assertTextIncludes(`href="/orders/${placed.id}/authenticate"`)
    // The contractor waits: nothing to accept yet
    const contractorPage = await client.get(`/orders/${placed.id}`).loginAs(contractor)
    contractorPage.assertTextIncludes('Waiting for the employer to authenticate')
    assert.notInclude(contractorPage.text(), '/accept"')

    const back = await authenticate(client, employer, placed.id, 'succeed')

    back.assertHeader('location', `/orders/${placed.id}`)
    assert.equal(
      back.flashMessage('success'),
      'Your card is authorized for $120.00. You will be charged when you approve the work.'
    )
    const resumed = await stateOf(placed)
    assert.equal(resumed.payment.status, 'authorized')
    assert.isNotNull(resumed.payment.captureBefore)
    const held = await stripe().paymentIntents.retrieve(resumed.payment.stripePaymentIntentId!)
    assert.equal(held.status, 'requires_capture')
    // The order goes on as any other: the contractor can accept it now
    const accept = await client
      .post(`/orders/${placed.id}/accept`)
      .loginAs(contractor)
      .withCsrfToken()
      .redirects(0)
    assert.isUndefined(accept.flashMessage('error'))
    const accepted = await stateOf(placed)
    assert.equal(accepted.line.status, 'accepted')
    // Coming back twice changes nothing
    const again = await client
      .get(`/orders/${placed.id}/authenticated?payment_intent=${held.id}`)
      .loginAs(employer)
      .redirects(0)
    again.assertHeader('location', `/orders/${placed.id}`)
    const still = await stateOf(placed)
    assert.equal(still.payment.status, 'authorized')
  })

  test('a cart paid at once resumes as a charge after authentication', async ({
    client,
    assert,
  }) => {
    const { contractor, employer, service } = await marketplace()
    const second = await createService(contractor, { title: 'Paint the door', price: 5000 })
    for (const item of [service, second]) {
      await client
        .post('/cart/items')
        .loginAs(employer)
        .withCsrfToken()
        .form({ service_id: item.id })
    }
    const checkout = await client
      .post('/cart/checkout')
      .loginAs(employer)
      .withCsrfToken()
      .form({ payment_method: await defaultCardOf(employer) })
      .redirects(0)
    const placed = await Order.firstOrFail()
    checkout.assertHeader('location', `/orders/${placed.id}`)
    const waiting = await stateOf(placed)
    assert.equal(waiting.payment.flow, 'charge')
    assert.equal(waiting.payment.status, 'requires_action')

    const back = await authenticate(client, employer, placed.id, 'succeed')

    assert.equal(
      back.flashMessage('success'),
      'You paid $170.00. Each contractor is paid when you approve their work.'
    )
    const paid = await stateOf(placed)
    assert.equal(paid.payment.status, 'succeeded')
    assert.equal(paid.payment.amountCaptured, 17000)
  })

  test('a failed authentication fails the payment; the employer can pay again', async ({
    client,
    assert,
  }) => {
    const { employer, service } = await marketplace()
    await placeFromThePage(client, employer, service)
    const placed = await Order.firstOrFail()

    const back = await authenticate(client, employer, placed.id, 'fail')

    back.assertHeader('location', `/orders/${placed.id}`)
    const failed = await stateOf(placed)
    assert.equal(failed.payment.status, 'failed')
    assert.equal(failed.line.status, 'canceled')
    // The order page says why, once, in its failure section (no banner on top)
    assert.isUndefined(back.flashMessage('error'))
    const page = await followRedirect(client, back)
    page.assertTextIncludes('Payment failed')
    page.assertTextIncludes(failed.payment.failureMessage!)
    page.assertTextIncludes(`action="/orders/${placed.id}/pay-again"`)
    // Nothing left to authenticate
    const link = await client
      .get(`/orders/${placed.id}/authenticate`)
      .loginAs(employer)
      .redirects(0)
    link.assertHeader('location', `/orders/${placed.id}`)
    assert.equal(
      link.flashMessage('success'),
      'This payment does not need authentication any more.'
    )
  })

  test('coming back without authenticating keeps the payment waiting', async ({
    client,
    assert,
  }) => {
    const { employer, service } = await marketplace()
    await placeFromThePage(client, employer, service)
    const placed = await Order.firstOrFail()
    const { payment } = await stateOf(placed)

    const back = await client
      .get(`/orders/${placed.id}/authenticated?payment_intent=${payment.stripePaymentIntentId}`)
      .loginAs(employer)
      .redirects(0)

    assert.match(String(back.flashMessage('error')), /Your bank asks you to authenticate/)
    const still = await stateOf(placed)
    assert.equal(still.payment.status, 'requires_action')
  })

  test("another employer, the contractor, or another order's PaymentIntent: refused", async ({
    client,
    assert,
  }) => {
    const { contractor, employer, service } = await marketplace()
    await placeFromThePage(client, employer, service)
    const placed = await Order.firstOrFail()
    const { payment } = await stateOf(placed)
    const other = await employerWithCard('pm_card_visa')
    const otherOrder = await placeTestOrder(other, service)
    const { payment: otherPayment } = await stateOf(otherOrder)

    for (const path of [
      `/orders/${placed.id}/authenticate`,
      `/orders/${placed.id}/authenticated?payment_intent=${payment.stripePaymentIntentId}`,
    ]) {
      const response = await client.get(path).loginAs(other).redirects(0)
      response.assertStatus(404)
      const byContractor = await client.get(path).loginAs(contractor).redirects(0)
      byContractor.assertStatus(403)
    }
    for (const paymentIntent of [otherPayment.stripePaymentIntentId, 'pi_unknown', '']) {
      const response = await client
        .get(`/orders/${placed.id}/authenticated?payment_intent=${paymentIntent}`)
        .loginAs(employer)
        .redirects(0)
      response.assertStatus(404)
    }
    const still = await stateOf(placed)
    assert.equal(still.payment.status, 'requires_action')
    const untouched = await stateOf(otherOrder)
    assert.equal(untouched.payment.status, 'authorized')
  })

  test('off session (no employer there: the console, demo data), a card that always asks fails with a clear message', async ({
    assert,
  }) => {
    const { employer, service } = await marketplace()

    const placed = await placeTestOrder(employer, service)

    const { payment, line } = await stateOf(placed)
    assert.isFalse(payment.onSession)
    assert.equal(payment.status, 'failed')
    assert.equal(payment.failureCode, 'authentication_required')
    assert.equal(payment.failureMessage, 'This card needs authentication; use another card.')
    assert.equal(line.status, 'canceled')
  })

  test('a card set up for payments without the employer goes through off session, asks on session', async ({
    client,
    assert,
  }) => {
    const { employer, service } = await marketplace(
      'pm_card_authenticationRequiredSetupForOffSession'
    )
    const offSession = await placeTestOrder(employer, service)
    const { payment: charged } = await stateOf(offSession)
    assert.equal(charged.status, 'authorized')

    await placeFromThePage(client, employer, service)
    const onSession = await Order.query().orderBy('id', 'desc').firstOrFail()
    const { payment: asked } = await stateOf(onSession)
    assert.equal(asked.status, 'requires_action')
  })
})
