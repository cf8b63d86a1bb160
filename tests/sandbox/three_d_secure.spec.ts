import { test } from '@japa/runner'
import type Stripe from 'stripe'
import { type Harness, startHarness, stripeError } from './helpers.js'

/*
 * 3D Secure in sandbox mode: an intent confirmed with a return_url for a
 * card that needs authentication sends the customer to a test page served
 * by the sandbox, whose buttons complete or fail the challenge and send the
 * browser back to the return_url as Stripe does.
 */

const card = { allowed_payment_method_types: ['card'] }
const RETURN_URL = 'https://app.example/orders/7/return?step=pay'

/** Submits the test page's form like a browser (no API key, no redirect following). */
async function submit(pageUrl: string, outcome: string, clientSecret?: string) {
  const url = new URL(pageUrl)
  const form = new URLSearchParams({
    client_secret: clientSecret ?? url.searchParams.get('client_secret') ?? '',
    outcome,
  })
  return fetch(`${url.origin}${url.pathname}`, { method: 'POST', body: form, redirect: 'manual' })
}

function redirectParams(response: Response): URL {
  const location = response.headers.get('location')
  if (!location) {
    throw new Error(`no redirect (status ${response.status})`)
  }
  return new URL(location)
}

async function statusOf(stripe: Stripe, id: string) {
  const pi = await stripe.paymentIntents.retrieve(id)
  return pi.status
}

test.group('3D Secure: the sandbox’s test authentication page', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  async function challenge(stripe: Stripe, paymentMethod = 'pm_card_authenticationRequired') {
    return stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: paymentMethod,
      confirm: true,
      return_url: RETURN_URL,
      ...card,
    })
  }

  test('with a return_url the PaymentIntent redirects to a page served by the sandbox', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await challenge(stripe)
    assert.equal(pi.status, 'requires_action')
    assert.equal(pi.next_action?.type, 'redirect_to_url')
    const redirect = pi.next_action!.redirect_to_url!
    assert.equal(redirect.return_url, RETURN_URL)
    assert.isTrue(redirect.url!.startsWith(`${h.sandbox.url}/sandbox/authenticate/${pi.id}?`))
    const page = await fetch(redirect.url!)
    assert.equal(page.status, 200)
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8')
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer')
    assert.equal(page.headers.get('cache-control'), 'no-store')
    const html = await page.text()
    assert.include(html, '<html lang="en">')
    assert.include(html, '>Complete authentication</button>')
    assert.include(html, '>Fail authentication</button>')
    assert.include(html, '$20.00')
    assert.include(html, 'Visa ending in 3184')
    assert.notInclude(html, '<script')
  })

  test('“Complete authentication” finishes the payment and returns to the return_url', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await challenge(stripe)
    const response = await submit(pi.next_action!.redirect_to_url!.url!, 'succeed')
    assert.equal(response.status, 303)
    const back = redirectParams(response)
    assert.equal(`${back.origin}${back.pathname}`, 'https://app.example/orders/7/return')
    assert.equal(back.searchParams.get('step'), 'pay')
    assert.equal(back.searchParams.get('payment_intent'), pi.id)
    assert.equal(back.searchParams.get('payment_intent_client_secret'), pi.client_secret)
    assert.equal(back.searchParams.get('redirect_status'), 'succeeded')
    const done = await stripe.paymentIntents.retrieve(pi.id)
    assert.equal(done.status, 'succeeded')
    assert.isNull(done.next_action)
    const events = await stripe.events.list({ type: 'payment_intent.succeeded' })
    assert.equal((events.data[0].data.object as Stripe.PaymentIntent).id, pi.id)
    assert.match(events.data[0].request?.id ?? '', /^req_/)
  })

  test('a hold authenticated on the page waits for capture', async ({ assert }) => {
    const stripe = h.client()
    const pi = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      payment_method: 'pm_card_threeDSecure2Required',
      capture_method: 'manual',
      confirm: true,
      return_url: RETURN_URL,
      ...card,
    })
    const response = await submit(pi.next_action!.redirect_to_url!.url!, 'succeed')
    assert.equal(redirectParams(response).searchParams.get('redirect_status'), 'succeeded')
    const held = await stripe.paymentIntents.retrieve(pi.id)
    assert.equal(held.status, 'requires_capture')
    assert.equal(held.amount_capturable, 5000)
  })

  test('“Fail authentication” sends the customer back with redirect_status=failed', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await challenge(stripe)
    const response = await submit(pi.next_action!.redirect_to_url!.url!, 'fail')
    assert.equal(response.status, 303)
    assert.equal(redirectParams(response).searchParams.get('redirect_status'), 'failed')
    const failed = await stripe.paymentIntents.retrieve(pi.id)
    assert.equal(failed.status, 'requires_payment_method')
    assert.equal(failed.last_payment_error?.code, 'payment_intent_authentication_failure')
    assert.isNull(failed.latest_charge)
  })

  test('authenticated, then declined: the return says failed and the charge is failed', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await challenge(
      stripe,
      'pm_card_authenticationRequiredChargeDeclinedInsufficientFunds'
    )
    const response = await submit(pi.next_action!.redirect_to_url!.url!, 'succeed')
    assert.equal(redirectParams(response).searchParams.get('redirect_status'), 'failed')
    const failed = await stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge'] })
    assert.equal(failed.last_payment_error?.decline_code, 'insufficient_funds')
    assert.equal((failed.latest_charge as Stripe.Charge).status, 'failed')
  })

  test('saving a card: the SetupIntent page attaches the card and returns setup_intent params', async ({
    assert,
  }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const si = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_authenticationRequiredOnSetup',
      confirm: true,
      return_url: 'https://app.example/cards/return',
      ...card,
    })
    assert.equal(si.status, 'requires_action')
    const url = si.next_action!.redirect_to_url!.url!
    assert.isTrue(url.startsWith(`${h.sandbox.url}/sandbox/authenticate/${si.id}?`))
    const page = await fetch(url)
    const html = await page.text()
    assert.include(html, 'Authenticate this card')
    const response = await submit(url, 'succeed')
    const back = redirectParams(response)
    assert.equal(back.searchParams.get('setup_intent'), si.id)
    assert.equal(back.searchParams.get('setup_intent_client_secret'), si.client_secret)
    assert.equal(back.searchParams.get('redirect_status'), 'succeeded')
    const saved = await stripe.setupIntents.retrieve(si.id)
    assert.equal(saved.status, 'succeeded')
    const pm = await stripe.paymentMethods.retrieve(saved.payment_method as string)
    assert.equal(pm.customer, customer.id)
  })

  test('the page acts only on the intent named, and only with its client secret', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await challenge(stripe)
    const other = await challenge(stripe)
    const url = pi.next_action!.redirect_to_url!.url!
    for (const secret of [other.client_secret!, '', `${pi.id}_secret_guess`]) {
      const refused = await submit(url, 'succeed', secret)
      assert.equal(refused.status, 404)
      assert.isNull(refused.headers.get('location'))
    }
    const stranger = await fetch(`${new URL(url).origin}/sandbox/authenticate/${pi.id}`)
    assert.equal(stranger.status, 404)
    const unknown = await fetch(`${new URL(url).origin}/sandbox/nothing/${pi.id}`)
    assert.equal(unknown.status, 404)
    assert.equal(await statusOf(stripe, pi.id), 'requires_action')
    const invalid = await submit(url, 'maybe')
    assert.equal(invalid.status, 400)
    assert.equal(await statusOf(stripe, pi.id), 'requires_action')
    // Done once; a second submit changes nothing and just goes back.
    await submit(url, 'succeed')
    const again = await submit(url, 'fail')
    assert.equal(redirectParams(again).searchParams.get('redirect_status'), 'succeeded')
    assert.equal(await statusOf(stripe, pi.id), 'succeeded')
    const revisit = await fetch(url)
    assert.equal(revisit.status, 409)
  })

  test('without a return_url Stripe.js handles it (use_stripe_sdk); a bad return_url is refused', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      ...card,
    })
    assert.equal(pi.next_action?.type, 'use_stripe_sdk')
    const error = await stripeError(
      stripe.paymentIntents.create({
        amount: 2000,
        currency: 'usd',
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
        return_url: 'javascript:alert(1)',
        ...card,
      })
    )
    assert.equal(error.statusCode, 400)
    assert.equal(error.param, 'return_url')
  })
})
