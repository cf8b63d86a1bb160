import { test } from '@japa/runner'
import Stripe from 'stripe'
import { type Harness, startHarness, stripeError } from './helpers.js'

const card = { allowed_payment_method_types: ['card'] }

test.group('Customers', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('create, retrieve, update, list by email, delete', async ({ assert }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({
      email: 'jenny@example.com',
      name: 'Jenny Rosen',
      metadata: { user_id: '7' },
    })
    assert.equal(customer.object, 'customer')
    assert.equal(customer.email, 'jenny@example.com')
    const fetched = await stripe.customers.retrieve(customer.id)
    assert.equal((fetched as Stripe.Customer).name, 'Jenny Rosen')
    const updated = await stripe.customers.update(customer.id, { name: 'Jenny R.', phone: '+1555' })
    assert.equal(updated.name, 'Jenny R.')
    await stripe.customers.create({ email: 'other@example.com' })
    const byEmail = await stripe.customers.list({ email: 'jenny@example.com' })
    assert.deepEqual(
      byEmail.data.map((c) => c.id),
      [customer.id]
    )
    const deleted = await stripe.customers.del(customer.id)
    assert.deepEqual({ ...deleted, lastResponse: undefined }, {
      id: customer.id,
      object: 'customer',
      deleted: true,
      lastResponse: undefined,
    } as never)
    const gone = await stripe.customers.retrieve(customer.id)
    assert.isTrue((gone as Stripe.DeletedCustomer).deleted)
    const after = await stripe.customers.list({ email: 'jenny@example.com' })
    assert.lengthOf(after.data, 0)
  })

  test('invoice_settings.default_payment_method must be attached to the customer', async ({
    assert,
  }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const stranger = await stripe.paymentMethods.retrieve('pm_card_visa')
    const error = await stripeError(
      stripe.customers.update(customer.id, {
        invoice_settings: { default_payment_method: stranger.id },
      })
    )
    assert.equal(error.code, 'resource_missing')
    assert.equal(error.param, 'invoice_settings[default_payment_method]')
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id })
    const ok = await stripe.customers.update(customer.id, {
      invoice_settings: { default_payment_method: pm.id },
    })
    assert.equal(ok.invoice_settings.default_payment_method, pm.id)
  })
})

test.group('Payment methods and test cards', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('magic test PaymentMethods materialise as new pm_… with realistic card details', async ({
    assert,
  }) => {
    const stripe = h.client()
    const expectations: Array<[string, string, string]> = [
      ['pm_card_visa', 'visa', '4242'],
      ['pm_card_mastercard', 'mastercard', '4444'],
      ['pm_card_amex', 'amex', '0005'],
      ['pm_card_bypassPending', 'visa', '0077'],
      ['pm_card_visa_chargeDeclinedInsufficientFunds', 'visa', '9995'],
      ['pm_card_authenticationRequired', 'visa', '3184'],
    ]
    const ids = new Set<string>()
    for (const [magic, brand, last4] of expectations) {
      const pm = await stripe.paymentMethods.retrieve(magic)
      assert.match(pm.id, /^pm_\w{24}$/)
      assert.notEqual(pm.id, magic)
      assert.equal(pm.type, 'card')
      assert.equal(pm.card?.brand, brand)
      assert.equal(pm.card?.last4, last4)
      assert.isAbove(pm.card?.exp_year ?? 0, 2000)
      ids.add(pm.id)
    }
    const again = await stripe.paymentMethods.retrieve('pm_card_visa')
    assert.isFalse(ids.has(again.id))
  })

  test('attach, list by customer and type, detach; a detached card cannot be reused', async ({
    assert,
  }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id })
    const mc = await stripe.paymentMethods.attach('pm_card_mastercard', { customer: customer.id })
    assert.equal(visa.customer, customer.id)
    const list = await stripe.paymentMethods.list({ customer: customer.id, type: 'card' })
    assert.deepEqual(
      list.data.map((pm) => pm.id),
      [mc.id, visa.id]
    )
    const viaCustomer = await stripe.customers.listPaymentMethods(customer.id)
    assert.lengthOf(viaCustomer.data, 2)
    const detached = await stripe.paymentMethods.detach(visa.id)
    assert.isNull(detached.customer)
    const after = await stripe.paymentMethods.list({ customer: customer.id, type: 'card' })
    assert.deepEqual(
      after.data.map((pm) => pm.id),
      [mc.id]
    )
    const reuse = await stripeError(
      stripe.paymentMethods.attach(visa.id, { customer: customer.id })
    )
    assert.equal(reuse.statusCode, 400)
    const other = await stripe.customers.create({})
    const taken = await stripeError(stripe.paymentMethods.attach(mc.id, { customer: other.id }))
    assert.equal(taken.statusCode, 400)
  })

  test('cards from the decline list fail at attach with the card error', async ({ assert }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const error = await stripeError(
      stripe.paymentMethods.attach('pm_card_visa_chargeDeclined', { customer: customer.id })
    )
    assert.instanceOf(error, Stripe.errors.StripeCardError)
    assert.equal(error.code, 'card_declined')
    assert.equal(error.decline_code, 'generic_decline')
  })

  test('every decline card declines a PaymentIntent with Stripe’s code and message', async ({
    assert,
  }) => {
    const stripe = h.client()
    const cases: Array<[string, string, string, string]> = [
      [
        'pm_card_visa_chargeDeclined',
        'card_declined',
        'generic_decline',
        'Your card was declined.',
      ],
      ['pm_card_chargeDeclined', 'card_declined', 'generic_decline', 'Your card was declined.'],
      [
        'pm_card_visa_chargeDeclinedInsufficientFunds',
        'card_declined',
        'insufficient_funds',
        'Your card has insufficient funds.',
      ],
      [
        'pm_card_chargeDeclinedInsufficientFunds',
        'card_declined',
        'insufficient_funds',
        'Your card has insufficient funds.',
      ],
      [
        'pm_card_visa_chargeDeclinedLostCard',
        'card_declined',
        'lost_card',
        'Your card was declined.',
      ],
      [
        'pm_card_visa_chargeDeclinedStolenCard',
        'card_declined',
        'stolen_card',
        'Your card was declined.',
      ],
      [
        'pm_card_chargeDeclinedExpiredCard',
        'expired_card',
        'expired_card',
        'Your card has expired.',
      ],
      [
        'pm_card_chargeDeclinedIncorrectCvc',
        'incorrect_cvc',
        'incorrect_cvc',
        "Your card's security code is incorrect.",
      ],
      [
        'pm_card_chargeDeclinedProcessingError',
        'processing_error',
        'processing_error',
        'An error occurred while processing your card. Try again in a little bit.',
      ],
      [
        'pm_card_visa_chargeDeclinedVelocityLimitExceeded',
        'card_declined',
        'card_velocity_exceeded',
        'Your card was declined.',
      ],
      [
        'pm_card_chargeDeclinedFraudulent',
        'card_declined',
        'fraudulent',
        'Your card was declined.',
      ],
      ['pm_card_chargeCustomerFail', 'card_declined', 'generic_decline', 'Your card was declined.'],
    ]
    for (const [magic, code, declineCode, message] of cases) {
      const error = await stripeError(
        stripe.paymentIntents.create({
          amount: 1500,
          currency: 'usd',
          payment_method: magic,
          confirm: true,
          capture_method: 'manual',
          ...card,
        })
      )
      assert.instanceOf(error, Stripe.errors.StripeCardError, magic)
      assert.equal(error.statusCode, 402, magic)
      assert.equal(error.type, 'StripeCardError', magic)
      assert.equal(error.code, code, magic)
      assert.equal(error.decline_code, declineCode, magic)
      assert.equal(error.message, message, magic)
      const pi = error.payment_intent!
      assert.equal(pi.status, 'requires_payment_method', magic)
      assert.equal(pi.last_payment_error?.code, code, magic)
      assert.equal(pi.last_payment_error?.decline_code, declineCode, magic)
      const charge = await stripe.charges.retrieve(pi.latest_charge as string)
      assert.equal(charge.status, 'failed', magic)
      assert.isFalse(charge.paid, magic)
      assert.equal(charge.failure_code, code, magic)
      assert.equal((error.raw as { charge: string }).charge, charge.id, magic)
    }
  })

  test('pm_card_chargeCustomerFail attaches and saves fine, then every charge declines', async ({
    assert,
  }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const pm = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {
      customer: customer.id,
    })
    assert.equal(pm.customer, customer.id)
    for (let i = 0; i < 2; i++) {
      const error = await stripeError(
        stripe.paymentIntents.create({
          amount: 1000,
          currency: 'usd',
          customer: customer.id,
          payment_method: pm.id,
          confirm: true,
          off_session: true,
          ...card,
        })
      )
      assert.equal(error.code, 'card_declined')
    }
  })

  test('a declined PaymentIntent can be retried with a good card', async ({ assert }) => {
    const stripe = h.client()
    const error = await stripeError(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method: 'pm_card_visa_chargeDeclined',
        confirm: true,
        capture_method: 'manual',
        ...card,
      })
    )
    const retried = await stripe.paymentIntents.confirm(error.payment_intent!.id, {
      payment_method: 'pm_card_visa',
    })
    assert.equal(retried.status, 'requires_capture')
    assert.isNull(retried.last_payment_error)
    const charges = await stripe.charges.list({ payment_intent: retried.id })
    assert.deepEqual(
      charges.data.map((c) => c.status),
      ['succeeded', 'failed']
    )
  })
})

test.group('3D Secure and the return_url rule', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('authentication-required cards go to requires_action on session', async ({ assert }) => {
    const stripe = h.client()
    const pi = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      capture_method: 'manual',
      ...card,
    })
    assert.equal(pi.status, 'requires_action')
    assert.equal(pi.next_action?.type, 'use_stripe_sdk')
    assert.isNull(pi.latest_charge)
    const done = await stripe.rawRequest(
      'POST',
      `/v1/test_helpers/sandbox/payment_intents/${pi.id}/authenticate`,
      {}
    )
    assert.equal((done as unknown as Stripe.PaymentIntent).status, 'requires_capture')
    const withReturn = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      payment_method: 'pm_card_threeDSecure2Required',
      confirm: true,
      return_url: 'https://app.example/return',
    })
    assert.equal(withReturn.status, 'requires_action')
    assert.equal(withReturn.next_action?.type, 'redirect_to_url')
    assert.equal(withReturn.next_action?.redirect_to_url?.return_url, 'https://app.example/return')
    const failed = await stripe.rawRequest(
      'POST',
      `/v1/test_helpers/sandbox/payment_intents/${withReturn.id}/authenticate`,
      { outcome: 'fail' }
    )
    const failedPi = failed as unknown as Stripe.PaymentIntent
    assert.equal(failedPi.status, 'requires_payment_method')
    assert.equal(failedPi.last_payment_error?.code, 'payment_intent_authentication_failure')
  })

  test('off session, authentication-required cards decline authentication_required', async ({
    assert,
  }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const pm = await stripe.paymentMethods.attach('pm_card_authenticationRequired', {
      customer: customer.id,
    })
    const error = await stripeError(
      stripe.paymentIntents.create({
        amount: 5000,
        currency: 'usd',
        customer: customer.id,
        payment_method: pm.id,
        confirm: true,
        off_session: true,
        ...card,
      })
    )
    assert.equal(error.statusCode, 402)
    assert.equal(error.code, 'authentication_required')
    assert.equal(error.decline_code, 'authentication_required')
    assert.equal(error.message, 'Your card was declined. This transaction requires authentication.')
    assert.equal(error.payment_intent?.status, 'requires_payment_method')
    const notHandled = await stripeError(
      stripe.paymentIntents.create({
        amount: 5000,
        currency: 'usd',
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
        error_on_requires_action: true,
        ...card,
      })
    )
    assert.equal(notHandled.decline_code, 'authentication_not_handled')
  })

  test('OnSetup card: SetupIntent needs 3DS, then off-session payments succeed', async ({
    assert,
  }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const si = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_authenticationRequiredOnSetup',
      confirm: true,
      usage: 'off_session',
      ...card,
    })
    assert.equal(si.status, 'requires_action')
    const done = (await stripe.rawRequest(
      'POST',
      `/v1/test_helpers/sandbox/setup_intents/${si.id}/authenticate`,
      {}
    )) as unknown as Stripe.SetupIntent
    assert.equal(done.status, 'succeeded')
    const pm = await stripe.paymentMethods.retrieve(done.payment_method as string)
    assert.equal(pm.customer, customer.id)
    const pi = await stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm.id,
      confirm: true,
      off_session: true,
      ...card,
    })
    assert.equal(pi.status, 'succeeded')
  })

  test('SetupForOffSession card: off session succeeds, on session needs 3DS', async ({
    assert,
  }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const pm = await stripe.paymentMethods.attach(
      'pm_card_authenticationRequiredSetupForOffSession',
      {
        customer: customer.id,
      }
    )
    const off = await stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm.id,
      confirm: true,
      off_session: true,
      ...card,
    })
    assert.equal(off.status, 'succeeded')
    const on = await stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm.id,
      confirm: true,
      ...card,
    })
    assert.equal(on.status, 'requires_action')
  })

  test('confirm without payment method types, allow_redirects=never or return_url is a 400', async ({
    assert,
  }) => {
    const stripe = h.client()
    const error = await stripeError(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      })
    )
    assert.equal(error.statusCode, 400)
    assert.equal(error.type, 'StripeInvalidRequestError')
    assert.match(error.message, /^This PaymentIntent is configured to accept payment methods/)
    assert.include(error.message, '`automatic_payment_methods[allow_redirects]` to `never`')
    const never = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    })
    assert.equal(never.status, 'succeeded')
    const legacy = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      payment_method_types: ['card'],
    } as never)
    assert.equal(legacy.status, 'succeeded')
    const later = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' })
    const confirmError = await stripeError(
      stripe.paymentIntents.confirm(later.id, { payment_method: 'pm_card_visa' })
    )
    assert.equal(confirmError.statusCode, 400)
    const withUrl = await stripe.paymentIntents.confirm(later.id, {
      payment_method: 'pm_card_visa',
      return_url: 'https://app.example/done',
    })
    assert.equal(withUrl.status, 'succeeded')
  })
})

test.group('Setup intents', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('create with confirm saves the card on the customer', async ({ assert }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const si = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      usage: 'off_session',
      metadata: { purpose: 'save' },
      ...card,
    })
    assert.match(si.id, /^seti_/)
    assert.equal(si.status, 'succeeded')
    assert.equal(si.usage, 'off_session')
    assert.deepEqual(si.metadata, { purpose: 'save' })
    const pm = await stripe.paymentMethods.retrieve(si.payment_method as string)
    assert.equal(pm.customer, customer.id)
    const list = await stripe.setupIntents.list({ customer: customer.id })
    assert.deepEqual(
      list.data.map((s) => s.id),
      [si.id]
    )
  })

  test('confirm later, cancel, and decline with error.setup_intent', async ({ assert }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const pending = await stripe.setupIntents.create({ customer: customer.id, ...card })
    assert.equal(pending.status, 'requires_payment_method')
    const confirmed = await stripe.setupIntents.confirm(pending.id, {
      payment_method: 'pm_card_mastercard',
    })
    assert.equal(confirmed.status, 'succeeded')
    const toCancel = await stripe.setupIntents.create({ customer: customer.id, ...card })
    const canceled = await stripe.setupIntents.cancel(toCancel.id, {
      cancellation_reason: 'abandoned',
    })
    assert.equal(canceled.status, 'canceled')
    assert.equal(canceled.cancellation_reason, 'abandoned')
    const error = await stripeError(
      stripe.setupIntents.create({
        customer: customer.id,
        payment_method: 'pm_card_chargeDeclinedExpiredCard',
        confirm: true,
        ...card,
      })
    )
    assert.equal(error.statusCode, 402)
    assert.equal(error.code, 'expired_card')
    const failed = error.setup_intent!
    assert.equal(failed.status, 'requires_payment_method')
    assert.equal(failed.last_setup_error?.code, 'expired_card')
    const retrieved = await stripe.setupIntents.retrieve(failed.id)
    assert.equal(retrieved.status, 'requires_payment_method')
  })
})

test.group('Amounts and currencies', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('minimum charge amounts per currency (amount_too_small)', async ({ assert }) => {
    const stripe = h.client()
    const cases: Array<[string, number, string]> = [
      ['usd', 49, 'Amount must be at least $0.50 usd'],
      ['gbp', 29, 'Amount must be at least £0.30 gbp'],
      ['jpy', 49, 'Amount must be at least ¥50 jpy'],
      ['eur', 49, 'Amount must be at least €0.50 eur'],
    ]
    for (const [currency, amount, message] of cases) {
      const error = await stripeError(stripe.paymentIntents.create({ amount, currency }))
      assert.equal(error.code, 'amount_too_small', currency)
      assert.equal(error.param, 'amount', currency)
      assert.equal(error.message, message, currency)
      const ok = await stripe.paymentIntents.create({ amount: amount + 1, currency })
      assert.equal(ok.amount, amount + 1)
    }
    const unknown = await stripeError(
      stripe.paymentIntents.create({ amount: 1000, currency: 'xyz' })
    )
    assert.equal(unknown.param, 'currency')
  })

  test('zero-decimal currencies are charged in whole units (JPY 3.6% + 0)', async ({ assert }) => {
    const stripe = h.client()
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'jpy',
      payment_method: 'pm_card_jcb',
      confirm: true,
      expand: ['latest_charge.balance_transaction'],
      ...card,
    })
    const txn = (pi.latest_charge as Stripe.Charge).balance_transaction as Stripe.BalanceTransaction
    assert.equal(txn.currency, 'jpy')
    assert.equal(txn.amount, 1000)
    assert.equal(txn.fee, 36)
    assert.equal(txn.net, 964)
  })

  test('Stripe fee per currency: 2.9% + 30¢ USD, + 25c EUR, + 20p GBP', async ({ assert }) => {
    const stripe = h.client()
    const cases: Array<[string, number, number]> = [
      ['usd', 10000, 320],
      ['usd', 1099, 62],
      ['usd', 50, 31],
      ['eur', 10000, 315],
      ['gbp', 10000, 310],
    ]
    for (const [currency, amount, fee] of cases) {
      const pi = await stripe.paymentIntents.create({
        amount,
        currency,
        payment_method: 'pm_card_visa',
        confirm: true,
        expand: ['latest_charge.balance_transaction'],
        ...card,
      })
      const txn = (pi.latest_charge as Stripe.Charge)
        .balance_transaction as Stripe.BalanceTransaction
      assert.equal(txn.fee, fee, `${currency} ${amount}`)
      assert.equal(txn.net, amount - fee)
      assert.deepEqual(
        txn.fee_details.map((d) => [d.type, d.amount]),
        [['stripe_fee', fee]]
      )
    }
  })
})
