import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Stripe from 'stripe'
import { startSandbox } from '../../stripe_sandbox/index.js'
import {
  activeAccount,
  advance,
  bearer,
  clientFor,
  DAY,
  type Harness,
  newKey,
  rawRequest,
  sandboxSettings,
  startHarness,
  stripeError,
  usdBalance,
  WebhookReceiver,
} from './helpers.js'

/*
 * ACH Direct Debit (us_bank_account) as Stripe documents it (§11): bank
 * account PaymentMethods, mandates, microdeposit verification, processing
 * on the sandbox clock and the outcome decided by the test account number.
 */

const ach = { allowed_payment_method_types: ['us_bank_account'] }

const mandateData = {
  customer_acceptance: {
    type: 'online' as const,
    online: { ip_address: '203.0.113.9', user_agent: 'Mozilla/5.0 (sandbox test)' },
  },
}

function bankData(accountNumber = '000123456789'): Stripe.PaymentMethodCreateParams {
  return {
    type: 'us_bank_account',
    us_bank_account: {
      routing_number: '110000000',
      account_number: accountNumber,
      account_holder_type: 'individual',
      account_type: 'checking',
    },
    billing_details: { name: 'Jenny Rosen', email: 'jenny@example.com' },
  }
}

/** Sandbox time now (unix seconds). */
async function clockNow(stripe: Stripe): Promise<number> {
  const clock = (await stripe.rawRequest('GET', '/v1/test_helpers/sandbox/clock', {})) as unknown
  return (clock as { now: number }).now
}

/** Long enough for any ACH debit to settle (4 business days) and its money to be available. */
const SETTLE = 9 * DAY

/** A customer with a saved, verified bank account (SetupIntent + microdeposits). */
async function savedBankAccount(stripe: Stripe, accountNumber = '000123456789') {
  const customer = await stripe.customers.create({ email: 'employer@example.com' })
  const pm = await stripe.paymentMethods.create(bankData(accountNumber))
  const si = await stripe.setupIntents.create({
    customer: customer.id,
    payment_method: pm.id,
    confirm: true,
    mandate_data: mandateData,
    ...ach,
  })
  const verified = await stripe.setupIntents.verifyMicrodeposits(si.id, {
    descriptor_code: 'SM11AA',
  })
  return { customer, pm: verified.payment_method as string, si: verified }
}

/** A one-off ACH payment with a pre-verified test PaymentMethod. */
async function achPayment(stripe: Stripe, token: string, amount = 10000) {
  return stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    payment_method: token,
    confirm: true,
    mandate_data: mandateData,
    ...ach,
  })
}

/** A SetupIntent waiting for microdeposit verification of a hand-entered account. */
async function pendingSetup(stripe: Stripe, accountNumber = '000123456789') {
  const customer = await stripe.customers.create({})
  const pm = await stripe.paymentMethods.create(bankData(accountNumber))
  return stripe.setupIntents.create({
    customer: customer.id,
    payment_method: pm.id,
    confirm: true,
    mandate_data: mandateData,
    ...ach,
  })
}

async function setupStatus(stripe: Stripe, id: string) {
  const si = await stripe.setupIntents.retrieve(id)
  return si.status
}

async function paymentStatus(stripe: Stripe, id: string) {
  const pi = await stripe.paymentIntents.retrieve(id)
  return pi.status
}

async function mandateStatus(stripe: Stripe, id: string) {
  const mandate = await stripe.mandates.retrieve(id)
  return mandate.status
}

async function lastEventType(stripe: Stripe, objectId: string) {
  const types = await eventTypes(stripe, objectId)
  return types.at(-1)
}

async function eventTypes(stripe: Stripe, objectId: string): Promise<string[]> {
  const events = await stripe.events.list({ limit: 100 })
  return events.data
    .filter((e) => (e.data.object as { id: string }).id === objectId)
    .map((e) => e.type)
    .reverse()
}

test.group('ACH: bank account PaymentMethods', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('created from routing and account numbers, never echoing the account number', async ({
    assert,
  }) => {
    const key = newKey()
    const stripe = h.client(key)
    const pm = await stripe.paymentMethods.create(bankData())
    assert.match(pm.id, /^pm_/)
    assert.equal(pm.type, 'us_bank_account')
    assert.isUndefined(pm.card)
    assert.deepInclude(pm.us_bank_account!, {
      account_holder_type: 'individual',
      account_type: 'checking',
      bank_name: 'STRIPE TEST BANK',
      financial_connections_account: null,
      last4: '6789',
      routing_number: '110000000',
    })
    assert.deepEqual(pm.us_bank_account!.networks, { preferred: 'ach', supported: ['ach'] })
    assert.deepEqual(pm.us_bank_account!.status_details, {})
    assert.equal(pm.billing_details.name, 'Jenny Rosen')
    const raw = await rawRequest(h.sandbox.port, {
      method: 'GET',
      path: `/v1/payment_methods/${pm.id}`,
      headers: bearer(key),
    })
    assert.notInclude(JSON.stringify(raw.json), '000123456789')
    // The same account gives the same fingerprint; another account another one.
    const again = await stripe.paymentMethods.create(bankData())
    const other = await stripe.paymentMethods.create(bankData('000222222227'))
    assert.equal(again.us_bank_account!.fingerprint, pm.us_bank_account!.fingerprint)
    assert.notEqual(other.us_bank_account!.fingerprint, pm.us_bank_account!.fingerprint)
    assert.equal(other.us_bank_account!.last4, '2227')
  })

  test('the account holder name is required and the routing number must be valid', async ({
    assert,
  }) => {
    const stripe = h.client()
    const noName = await stripeError(
      stripe.paymentMethods.create({ ...bankData(), billing_details: { email: 'x@example.com' } })
    )
    assert.equal(noName.statusCode, 400)
    assert.equal(noName.code, 'parameter_missing')
    assert.equal(noName.param, 'billing_details[name]')
    const badRouting = await stripeError(
      stripe.paymentMethods.create({
        ...bankData(),
        us_bank_account: { routing_number: '110000001', account_number: '000123456789' },
      })
    )
    assert.equal(badRouting.code, 'routing_number_invalid')
    assert.equal(badRouting.param, 'us_bank_account[routing_number]')
    const badNumber = await stripeError(
      stripe.paymentMethods.create({
        ...bankData(),
        us_bank_account: { routing_number: '110000000', account_number: '12-34' },
      })
    )
    assert.equal(badNumber.code, 'account_number_invalid')
    const card = await stripeError(stripe.paymentMethods.create({ type: 'card' }))
    assert.equal(card.statusCode, 400)
    assert.equal(card.param, 'type')
    const list = await stripe.paymentMethods.list({ type: 'us_bank_account' })
    assert.lengthOf(list.data, 0)
  })

  test('pm_usBankAccount_* test PaymentMethods materialise as verified bank accounts', async ({
    assert,
  }) => {
    const stripe = h.client()
    const cases: Array<[string, string]> = [
      ['pm_usBankAccount_success', '6789'],
      ['pm_usBankAccount_accountClosed', '1113'],
      ['pm_usBankAccount_noAccount', '1116'],
      ['pm_usBankAccount_insufficientFunds', '2227'],
      ['pm_usBankAccount_debitNotAuthorized', '3335'],
      ['pm_usBankAccount_processing', '0009'],
    ]
    for (const [token, last4] of cases) {
      const pm = await stripe.paymentMethods.retrieve(token)
      assert.equal(pm.type, 'us_bank_account', token)
      assert.equal(pm.us_bank_account?.last4, last4, token)
      assert.notEqual(pm.id, token)
    }
  })

  test('an unverified bank account cannot be attached to a customer directly', async ({
    assert,
  }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const pm = await stripe.paymentMethods.create(bankData())
    const error = await stripeError(stripe.paymentMethods.attach(pm.id, { customer: customer.id }))
    assert.equal(error.statusCode, 400)
    assert.include(error.message, 'verified')
    const verified = await stripe.paymentMethods.attach('pm_usBankAccount_success', {
      customer: customer.id,
    })
    assert.equal(verified.customer, customer.id)
  })
})

test.group('ACH: saving a bank account with a SetupIntent', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('microdeposits, then the descriptor code SM11AA verifies and saves the account', async ({
    assert,
  }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const before = await clockNow(stripe)
    const si = await stripe.setupIntents.create({
      customer: customer.id,
      confirm: true,
      payment_method_data: bankData() as Stripe.SetupIntentCreateParams.PaymentMethodData,
      payment_method_options: { us_bank_account: { verification_method: 'microdeposits' } },
      mandate_data: mandateData,
      ...ach,
    })
    assert.equal(si.status, 'requires_action')
    assert.equal(si.next_action?.type, 'verify_with_microdeposits')
    const next = si.next_action!.verify_with_microdeposits!
    assert.equal(next.microdeposit_type, 'descriptor_code')
    assert.isAbove(next.arrival_date, before)
    assert.isAtMost(next.arrival_date, before + 4 * DAY)
    assert.match(
      next.hosted_verification_url,
      /^http:\/\/127\.0\.0\.1:\d+\/sandbox\/microdeposits\/seti_/
    )
    assert.equal(si.payment_method_options?.us_bank_account?.verification_method, 'microdeposits')
    const pending = await stripe.mandates.retrieve(si.mandate as string)
    assert.equal(pending.status, 'pending')
    assert.equal(pending.type, 'multi_use')
    assert.deepEqual(pending.customer_acceptance.online, mandateData.customer_acceptance.online)
    assert.equal(pending.customer_acceptance.type, 'online')
    assert.equal(pending.payment_method, si.payment_method)
    assert.equal(pending.payment_method_details.type, 'us_bank_account')
    const unattached = await stripe.paymentMethods.retrieve(si.payment_method as string)
    assert.isNull(unattached.customer)

    const verified = await stripe.setupIntents.verifyMicrodeposits(si.id, {
      descriptor_code: 'SM11AA',
    })
    assert.equal(verified.status, 'succeeded')
    assert.isNull(verified.next_action)
    const pm = await stripe.paymentMethods.retrieve(si.payment_method as string)
    assert.equal(pm.customer, customer.id)
    const active = await stripe.mandates.retrieve(si.mandate as string)
    assert.equal(active.status, 'active')
    assert.deepEqual(await eventTypes(stripe, si.id), [
      'setup_intent.created',
      'setup_intent.requires_action',
      'setup_intent.succeeded',
    ])
    const mandateEvents = await stripe.events.list({ type: 'mandate.updated' })
    assert.equal((mandateEvents.data[0].data.object as Stripe.Mandate).status, 'active')
    assert.deepEqual(mandateEvents.data[0].data.previous_attributes, { status: 'pending' })
  })

  test('the amounts 32 and 45 verify too', async ({ assert }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const pm = await stripe.paymentMethods.create(bankData())
    const si = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: pm.id,
      confirm: true,
      mandate_data: mandateData,
      ...ach,
    })
    const verified = await stripe.setupIntents.verifyMicrodeposits(si.id, { amounts: [45, 32] })
    assert.equal(verified.status, 'succeeded')
  })

  test('wrong values are refused with the attempts left; the intent keeps waiting', async ({
    assert,
  }) => {
    const stripe = h.client()
    const si = await pendingSetup(stripe)
    const amounts = await stripeError(
      stripe.setupIntents.verifyMicrodeposits(si.id, { amounts: [12, 34] })
    )
    assert.equal(amounts.statusCode, 400)
    assert.equal(amounts.code, 'payment_method_microdeposit_verification_amounts_mismatch')
    assert.include(amounts.message, '9 verification attempts remaining')
    assert.equal(
      (amounts.raw as { setup_intent: Stripe.SetupIntent }).setup_intent.status,
      'requires_action'
    )
    const code = await stripeError(
      stripe.setupIntents.verifyMicrodeposits(si.id, { descriptor_code: 'SM99ZZ' })
    )
    assert.equal(code.code, 'payment_method_microdeposit_verification_descriptor_code_mismatch')
    assert.include(code.message, '8 verification attempts remaining')
    const malformed = await stripeError(
      stripe.setupIntents.verifyMicrodeposits(si.id, { amounts: [32] })
    )
    assert.equal(malformed.code, 'payment_method_microdeposit_verification_amounts_invalid')
    const both = await stripeError(
      stripe.setupIntents.verifyMicrodeposits(si.id, {
        amounts: [32, 45],
        descriptor_code: 'SM11AA',
      })
    )
    assert.equal(both.code, 'parameters_exclusive')
    const still = await stripe.setupIntents.retrieve(si.id)
    assert.equal(still.status, 'requires_action')
    const ok = await stripe.setupIntents.verifyMicrodeposits(si.id, { descriptor_code: 'sm11aa' })
    assert.equal(ok.status, 'succeeded')
  })

  test('a mismatch is stored under its idempotency key: a retry does not cost an attempt', async ({
    assert,
  }) => {
    const stripe = h.client()
    const si = await pendingSetup(stripe)
    const first = await stripeError(
      stripe.setupIntents.verifyMicrodeposits(si.id, { amounts: [1, 2] }, { idempotencyKey: 'k1' })
    )
    const replay = await stripeError(
      stripe.setupIntents.verifyMicrodeposits(si.id, { amounts: [1, 2] }, { idempotencyKey: 'k1' })
    )
    assert.equal(replay.message, first.message)
    assert.equal(replay.headers?.['idempotent-replayed'], 'true')
    const next = await stripeError(
      stripe.setupIntents.verifyMicrodeposits(si.id, { amounts: [1, 2] })
    )
    assert.include(next.message, '8 verification attempts remaining')
  })

  test('10 and 11 (or SM33CC): too many attempts, the SetupIntent fails', async ({ assert }) => {
    const stripe = h.client()
    for (const attempt of [{ amounts: [10, 11] }, { descriptor_code: 'SM33CC' }]) {
      const si = await pendingSetup(stripe)
      const error = await stripeError(stripe.setupIntents.verifyMicrodeposits(si.id, attempt))
      assert.equal(error.statusCode, 400)
      assert.equal(error.code, 'payment_method_microdeposit_verification_attempts_exceeded')
      const failed = await stripe.setupIntents.retrieve(si.id)
      assert.equal(failed.status, 'requires_payment_method')
      assert.isNull(failed.payment_method)
      assert.equal(
        failed.last_setup_error?.code,
        'payment_method_microdeposit_verification_attempts_exceeded'
      )
      assert.equal(await mandateStatus(stripe, si.mandate as string), 'inactive')
      assert.equal(await lastEventType(stripe, si.id), 'setup_intent.setup_failed')
    }
  })

  test('ten wrong attempts in total also exceed the limit', async ({ assert }) => {
    const stripe = h.client()
    const si = await pendingSetup(stripe)
    const codes: Array<string | undefined> = []
    for (let i = 0; i < 10; i++) {
      const error = await stripeError(
        stripe.setupIntents.verifyMicrodeposits(si.id, { amounts: [1, 2] })
      )
      codes.push(error.code)
    }
    assert.deepEqual(
      codes.slice(0, 9),
      Array(9).fill('payment_method_microdeposit_verification_amounts_mismatch')
    )
    assert.equal(codes[9], 'payment_method_microdeposit_verification_attempts_exceeded')
    const failed = await stripe.setupIntents.retrieve(si.id)
    assert.equal(failed.status, 'requires_payment_method')
    const after = await stripeError(
      stripe.setupIntents.verifyMicrodeposits(si.id, { descriptor_code: 'SM11AA' })
    )
    assert.equal(after.code, 'setup_intent_unexpected_state')
  })

  test('40 and 41 (or SM44DD), or 10 days without verification: the verification times out', async ({
    assert,
  }) => {
    const stripe = h.client()
    const create = async () => pendingSetup(stripe)
    for (const attempt of [{ amounts: [40, 41] }, { descriptor_code: 'SM44DD' }]) {
      const si = await create()
      const error = await stripeError(stripe.setupIntents.verifyMicrodeposits(si.id, attempt))
      assert.equal(error.code, 'payment_method_microdeposit_verification_timeout')
      const failed = await stripe.setupIntents.retrieve(si.id)
      assert.equal(
        failed.last_setup_error?.code,
        'payment_method_microdeposit_verification_timeout'
      )
    }
    const idle = await create()
    await advance(stripe, 10 * DAY - 60)
    assert.equal(await setupStatus(stripe, idle.id), 'requires_action')
    await advance(stripe, 120)
    const expired = await stripe.setupIntents.retrieve(idle.id)
    assert.equal(expired.status, 'requires_payment_method')
    assert.equal(expired.last_setup_error?.code, 'payment_method_microdeposit_verification_timeout')
  })

  test('000666666661: the microdeposits never arrive and the SetupIntent fails', async ({
    assert,
  }) => {
    const stripe = h.client()
    const si = await pendingSetup(stripe, '000666666661')
    assert.equal(si.status, 'requires_action')
    const arrival = si.next_action!.verify_with_microdeposits!.arrival_date
    await advance(stripe, arrival - (await clockNow(stripe)) + 1)
    const failed = await stripe.setupIntents.retrieve(si.id)
    assert.equal(failed.status, 'requires_payment_method')
    assert.equal(failed.last_setup_error?.code, 'payment_method_microdeposit_failed')
    // Verifying before the failure is known fails the same way.
    const customer = await stripe.customers.create({})
    const early = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_usBankAccount_failMicrodeposits',
      confirm: true,
      mandate_data: mandateData,
      ...ach,
    })
    const error = await stripeError(
      stripe.setupIntents.verifyMicrodeposits(early.id, { descriptor_code: 'SM11AA' })
    )
    assert.equal(error.code, 'payment_method_microdeposit_failed')
  })

  test('a mandate is required; instant verification is not modelled; nothing is created', async ({
    assert,
  }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const noMandate = await stripeError(
      stripe.setupIntents.create({
        customer: customer.id,
        payment_method: 'pm_usBankAccount_success',
        confirm: true,
        ...ach,
      })
    )
    assert.equal(noMandate.statusCode, 400)
    assert.equal(noMandate.param, 'mandate_data')
    const instant = await stripeError(
      stripe.setupIntents.create({
        customer: customer.id,
        confirm: true,
        payment_method_data: bankData() as Stripe.SetupIntentCreateParams.PaymentMethodData,
        payment_method_options: { us_bank_account: { verification_method: 'instant' } },
        mandate_data: mandateData,
        ...ach,
      })
    )
    assert.equal(instant.param, 'payment_method_options[us_bank_account][verification_method]')
    const cardOnly = await stripeError(
      stripe.setupIntents.create({
        customer: customer.id,
        payment_method: 'pm_usBankAccount_success',
        confirm: true,
        mandate_data: mandateData,
        allowed_payment_method_types: ['card'],
      })
    )
    assert.include(cardOnly.message, 'us_bank_account')
    const intents = await stripe.setupIntents.list({ customer: customer.id })
    assert.lengthOf(intents.data, 0)
    // The inline payment_method_data was not turned into a PaymentMethod either (test
    // PaymentMethods like pm_usBankAccount_success materialise as soon as they are named).
    const created = await stripe.paymentMethods.list({ type: 'us_bank_account', limit: 100 })
    assert.notInclude(
      created.data.map((pm) => pm.billing_details.email),
      'jenny@example.com'
    )
  })

  test('a pre-verified test PaymentMethod is saved at once', async ({ assert }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const si = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_usBankAccount_success',
      confirm: true,
      mandate_data: mandateData,
      ...ach,
    })
    assert.equal(si.status, 'succeeded')
    assert.equal(await mandateStatus(stripe, si.mandate as string), 'active')
    const saved = await stripe.customers.listPaymentMethods(customer.id, {
      type: 'us_bank_account',
    })
    assert.deepEqual(
      saved.data.map((pm) => pm.id),
      [si.payment_method as string]
    )
  })

  test('the hosted verification page takes the descriptor code; a wrong link acts on nothing', async ({
    assert,
  }) => {
    const stripe = h.client()
    const si = await pendingSetup(stripe)
    const url = new URL(si.next_action!.verify_with_microdeposits!.hosted_verification_url)
    const page = await fetch(url)
    assert.equal(page.status, 200)
    const html = await page.text()
    assert.include(html, '<label for="descriptor_code">')
    assert.notInclude(html, '<script')
    const forged = new URL(url)
    forged.searchParams.set('client_secret', `${si.id}_secret_forged`)
    const refused = await fetch(forged, {
      method: 'POST',
      body: new URLSearchParams({
        client_secret: forged.searchParams.get('client_secret')!,
        descriptor_code: 'SM11AA',
      }),
    })
    assert.equal(refused.status, 404)
    assert.equal(await setupStatus(stripe, si.id), 'requires_action')
    const wrong = await fetch(url.origin + url.pathname, {
      method: 'POST',
      body: new URLSearchParams({ client_secret: si.client_secret!, descriptor_code: 'SM00XX' }),
    })
    assert.equal(wrong.status, 422)
    assert.include(await wrong.text(), '9 verification attempts remaining')
    const done = await fetch(url.origin + url.pathname, {
      method: 'POST',
      body: new URLSearchParams({ client_secret: si.client_secret!, descriptor_code: 'SM11AA' }),
    })
    assert.equal(done.status, 200)
    assert.include(await done.text(), 'Bank account verified')
    assert.equal(await setupStatus(stripe, si.id), 'succeeded')
  })
})

test.group('ACH: payments', (group) => {
  let h: Harness
  let receiver: WebhookReceiver
  group.setup(async () => {
    receiver = new WebhookReceiver()
    const url = await receiver.start()
    h = await startHarness({ webhookEndpoints: [{ url, secret: 'whsec_ach_tests' }] })
    return async () => {
      await h.sandbox.stop()
      await receiver.stop()
    }
  })

  test('a saved account is debited off session: processing, then succeeded on the clock', async ({
    assert,
  }) => {
    const stripe = h.client()
    const { customer, pm } = await savedBankAccount(stripe)
    const pi = await stripe.paymentIntents.create({
      amount: 10000,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm,
      confirm: true,
      off_session: true,
      ...ach,
    })
    assert.equal(pi.status, 'processing')
    const charge = await stripe.charges.retrieve(pi.latest_charge as string)
    assert.equal(charge.status, 'pending')
    assert.isFalse(charge.paid)
    assert.equal(charge.payment_method_details?.type, 'us_bank_account')
    assert.deepInclude(charge.payment_method_details!.us_bank_account!, {
      bank_name: 'STRIPE TEST BANK',
      last4: '6789',
      routing_number: '110000000',
    })
    const mandate = await stripe.mandates.retrieve(
      charge.payment_method_details!.us_bank_account!.mandate as string
    )
    assert.equal(mandate.status, 'active')
    assert.equal(mandate.type, 'multi_use')
    // 0.8% of $100.00 = 80, on a pending `payment` transaction.
    const txn = await stripe.balanceTransactions.retrieve(charge.balance_transaction as string)
    assert.deepInclude(txn, {
      type: 'payment',
      amount: 10000,
      fee: 80,
      net: 9920,
      status: 'pending',
    })
    assert.equal(txn.fee_details[0].type, 'stripe_fee')
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 9920 })

    await advance(stripe, SETTLE)
    const succeeded = await stripe.paymentIntents.retrieve(pi.id)
    assert.equal(succeeded.status, 'succeeded')
    assert.equal(succeeded.amount_received, 10000)
    const paid = await stripe.charges.retrieve(charge.id)
    assert.equal(paid.status, 'succeeded')
    assert.isTrue(paid.paid)
    assert.deepEqual(await usdBalance(stripe), { available: 9920, pending: 0 })
    assert.deepEqual(await eventTypes(stripe, pi.id), [
      'payment_intent.created',
      'payment_intent.processing',
      'payment_intent.succeeded',
    ])
    assert.deepEqual(await eventTypes(stripe, charge.id), ['charge.pending', 'charge.succeeded'])
  })

  test('000555555559: the payment succeeds, then the bank disputes it (lost at once, no evidence)', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await achPayment(stripe, 'pm_usBankAccount_dispute')
    assert.equal(pi.status, 'processing')
    const none = await stripe.disputes.list({ payment_intent: pi.id })
    assert.lengthOf(none.data, 0)
    await advance(stripe, SETTLE)
    const settled = await stripe.paymentIntents.retrieve(pi.id)
    assert.equal(settled.status, 'succeeded')
    await advance(stripe, 1)
    const disputes = await stripe.disputes.list({ payment_intent: pi.id })
    assert.lengthOf(disputes.data, 1)
    assert.equal(disputes.data[0].amount, 10000)
    assert.equal(disputes.data[0].status, 'lost')
    const charge = await stripe.charges.retrieve(settled.latest_charge as string)
    assert.isTrue(charge.disputed)
  })

  test('webhooks arrive in order as advance_clock drives processing to its outcome', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await achPayment(stripe, 'pm_usBankAccount_success')
    await advance(stripe, SETTLE)
    const failed = await achPayment(stripe, 'pm_usBankAccount_insufficientFunds')
    await advance(stripe, SETTLE)
    const about = (e: Stripe.Event, id: string) => {
      const object = e.data.object as { id: string; payment_intent?: string }
      return object.id === id || object.payment_intent === id
    }
    const types = (id: string) =>
      receiver
        .events()
        .filter((e) => about(e, id))
        .map((e) => e.type)
    await receiver.waitFor(() => types(failed.id).includes('payment_intent.payment_failed'))
    assert.deepEqual(types(pi.id), [
      'payment_intent.created',
      'payment_intent.processing',
      'charge.pending',
      'charge.succeeded',
      'payment_intent.succeeded',
    ])
    assert.deepEqual(types(failed.id), [
      'payment_intent.created',
      'payment_intent.processing',
      'charge.pending',
      'charge.failed',
      'payment_intent.payment_failed',
    ])
  })

  test('each failing test account fails with its code, return code and balance effect', async ({
    assert,
  }) => {
    const cases: Array<[string, string, string | null]> = [
      ['pm_usBankAccount_accountClosed', 'account_closed', 'R02'],
      ['pm_usBankAccount_noAccount', 'no_account', 'R03'],
      ['pm_usBankAccount_insufficientFunds', 'insufficient_funds', 'R01'],
      ['pm_usBankAccount_debitNotAuthorized', 'debit_not_authorized', 'R10'],
      ['pm_usBankAccount_invalidCurrency', 'invalid_currency', null],
    ]
    for (const [token, code, returnCode] of cases) {
      const stripe = h.client()
      const pi = await achPayment(stripe, token, 70000)
      assert.equal(pi.status, 'processing', token)
      // 0.8% of $700.00 is $5.60: capped at $5.00.
      assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 69500 }, token)
      await advance(stripe, SETTLE)
      const failed = await stripe.paymentIntents.retrieve(pi.id)
      assert.equal(failed.status, 'requires_payment_method', token)
      assert.isNull(failed.payment_method, token)
      assert.equal(failed.last_payment_error?.code, code, token)
      assert.equal(failed.last_payment_error?.network_decline_code ?? null, returnCode, token)
      assert.equal(failed.last_payment_error?.charge, pi.latest_charge, token)
      assert.equal(failed.last_payment_error?.payment_method?.type, 'us_bank_account', token)
      const charge = await stripe.charges.retrieve(pi.latest_charge as string)
      assert.equal(charge.status, 'failed', token)
      assert.equal(charge.failure_code, code, token)
      assert.isString(charge.failure_message, token)
      const reversal = await stripe.balanceTransactions.retrieve(
        charge.failure_balance_transaction as string
      )
      assert.deepInclude(
        reversal,
        { type: 'payment_failure_refund', amount: -70000, fee: -500, net: -69500 },
        token
      )
      assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 0 }, token)
      assert.equal(await lastEventType(stripe, pi.id), 'payment_intent.payment_failed', token)
      const available = await stripe.events.list({ type: 'balance.available' })
      assert.lengthOf(available.data, 0, `${token}: no money ever became available`)
    }
  })

  test('a closed account is blocked from further debits (status_details)', async ({ assert }) => {
    const stripe = h.client()
    const pi = await achPayment(stripe, 'pm_usBankAccount_accountClosed')
    await advance(stripe, SETTLE)
    const failed = await stripe.paymentIntents.retrieve(pi.id)
    const pm = failed.last_payment_error!.payment_method!
    assert.deepEqual(pm.us_bank_account?.status_details, {
      blocked: { network_code: 'R02', reason: 'bank_account_closed' },
    })
  })

  test('a hand-entered account verified with microdeposits, saved with setup_future_usage', async ({
    assert,
  }) => {
    const stripe = h.client()
    const customer = await stripe.customers.create({})
    const pi = await stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      customer: customer.id,
      confirm: true,
      setup_future_usage: 'off_session',
      payment_method_data: bankData(
        '000222222227'
      ) as Stripe.PaymentIntentCreateParams.PaymentMethodData,
      mandate_data: mandateData,
      ...ach,
    })
    assert.equal(pi.status, 'requires_action')
    assert.equal(pi.next_action?.type, 'verify_with_microdeposits')
    assert.isNull(pi.latest_charge)
    const processing = await stripe.paymentIntents.verifyMicrodeposits(pi.id, { amounts: [32, 45] })
    assert.equal(processing.status, 'processing')
    const pm = await stripe.paymentMethods.retrieve(processing.payment_method as string)
    assert.equal(pm.customer, customer.id)
    // Later debits of the saved account need neither verification nor a new mandate.
    const later = await stripe.paymentIntents.create({
      amount: 1500,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm.id,
      confirm: true,
      off_session: true,
      ...ach,
    })
    assert.equal(later.status, 'processing')
    // Account 000222222227 has insufficient funds: both debits fail.
    await advance(stripe, SETTLE)
    for (const id of [pi.id, later.id]) {
      const done = await stripe.paymentIntents.retrieve(id)
      assert.equal(done.last_payment_error?.code, 'insufficient_funds')
    }
  })

  test('a one-off debit without mandate_data or a saved mandate is refused', async ({ assert }) => {
    const stripe = h.client()
    const error = await stripeError(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method: 'pm_usBankAccount_success',
        confirm: true,
        ...ach,
      })
    )
    assert.equal(error.statusCode, 400)
    assert.equal(error.param, 'mandate_data')
    const intents = await stripe.paymentIntents.list()
    assert.lengthOf(intents.data, 0)
  })

  test('processing lasts N business days on the sandbox clock, skipping weekends', async ({
    assert,
  }) => {
    const stripe = h.client()
    const settings = await sandboxSettings(stripe, { ach_processing_days: 2 })
    assert.equal(settings.ach_processing_days, 2)
    // Move to the next Friday, 12:00 UTC.
    const now = await clockNow(stripe)
    const date = new Date(now * 1000)
    const daysToFriday = (5 - date.getUTCDay() + 7) % 7 || 7
    const friday =
      Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + daysToFriday, 12) /
      1000
    await advance(stripe, friday - now)
    const pi = await achPayment(stripe, 'pm_usBankAccount_success')
    const charge = await stripe.charges.retrieve(pi.latest_charge as string)
    const startedAt = charge.created
    // Saturday, Sunday and Monday: still processing (Monday is business day 1).
    await advance(stripe, startedAt + 3 * DAY + 60 - (await clockNow(stripe)))
    assert.equal(await paymentStatus(stripe, pi.id), 'processing')
    // Tuesday at the same time: business day 2, settled.
    await advance(stripe, startedAt + 4 * DAY - (await clockNow(stripe)))
    assert.equal(await paymentStatus(stripe, pi.id), 'succeeded')
  })

  test('the default is 4 business days; a startSandbox option changes it', async ({ assert }) => {
    const stripe = h.client()
    const defaults = await sandboxSettings(stripe)
    assert.equal(defaults.ach_processing_days, 4)
    const quick = await startHarness({ achProcessingDays: 0 })
    try {
      const client = quick.client()
      const settings = await sandboxSettings(client)
      assert.equal(settings.ach_processing_days, 0)
      const pi = await achPayment(client, 'pm_usBankAccount_success')
      assert.equal(pi.status, 'processing')
      const settled = await client.paymentIntents.retrieve(pi.id)
      assert.equal(settled.status, 'succeeded')
    } finally {
      await quick.sandbox.stop()
    }
  })

  test('pm_usBankAccount_processing stays processing; canceling it takes the money back', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await achPayment(stripe, 'pm_usBankAccount_processing')
    await advance(stripe, 30 * DAY)
    assert.equal(await paymentStatus(stripe, pi.id), 'processing')
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 9920 })
    const canceled = await stripe.paymentIntents.cancel(pi.id)
    assert.equal(canceled.status, 'canceled')
    const charge = await stripe.charges.retrieve(pi.latest_charge as string)
    assert.equal(charge.status, 'failed')
    await advance(stripe, 10 * DAY)
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 0 })
  })

  test('manual capture and other currencies than usd are refused as Stripe refuses them', async ({
    assert,
  }) => {
    const stripe = h.client()
    const manual = await stripeError(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        capture_method: 'manual',
        ...ach,
      })
    )
    assert.equal(manual.statusCode, 400)
    assert.equal(
      manual.message,
      '`capture_method=manual` is not supported by payment method type `us_bank_account`. Use a different capture method.'
    )
    const hold = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      capture_method: 'manual',
      allowed_payment_method_types: ['card'],
    })
    const onConfirm = await stripeError(
      stripe.paymentIntents.confirm(hold.id, {
        payment_method: 'pm_usBankAccount_success',
        mandate_data: mandateData,
        allowed_payment_method_types: ['card', 'us_bank_account'],
      })
    )
    assert.include(onConfirm.message, 'capture_method=manual')
    const perType = await stripeError(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method_options: { us_bank_account: { capture_method: 'manual' } as never },
        ...ach,
      })
    )
    assert.equal(perType.code, 'parameter_unknown')
    const euro = await stripeError(
      stripe.paymentIntents.create({ amount: 1000, currency: 'eur', ...ach })
    )
    assert.equal(euro.statusCode, 400)
    assert.equal(euro.param, 'currency')
    assert.include(euro.message, 'eur')
    const automatic = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'eur',
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    })
    const euroConfirm = await stripeError(
      stripe.paymentIntents.confirm(automatic.id, {
        payment_method: 'pm_usBankAccount_success',
        mandate_data: mandateData,
      })
    )
    assert.include(euroConfirm.message, 'eur')
    assert.equal(await paymentStatus(stripe, automatic.id), 'requires_payment_method')
  })

  test('a succeeded ACH payment refunds like a card payment; a processing one cannot', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await achPayment(stripe, 'pm_usBankAccount_success')
    const early = await stripeError(stripe.refunds.create({ payment_intent: pi.id }))
    assert.equal(early.statusCode, 400)
    await advance(stripe, SETTLE)
    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 4000 })
    assert.equal(refund.status, 'succeeded')
    assert.equal(refund.destination_details?.type, 'us_bank_transfer')
    const txn = await stripe.balanceTransactions.retrieve(refund.balance_transaction as string)
    assert.deepInclude(txn, { type: 'payment_refund', amount: -4000, fee: 0 })
    const charge = await stripe.charges.retrieve(pi.latest_charge as string)
    assert.equal(charge.amount_refunded, 4000)
    assert.deepEqual(await usdBalance(stripe), { available: 9920 - 4000, pending: 0 })
  })

  test('a processing ACH charge may fund a transfer (source_transaction), pending meanwhile', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const pi = await achPayment(stripe, 'pm_usBankAccount_success')
    const transfer = await stripe.transfers.create({
      amount: 6000,
      currency: 'usd',
      destination: account.id,
      source_transaction: pi.latest_charge as string,
    })
    assert.equal(transfer.source_transaction, pi.latest_charge)
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 0, pending: 6000 })
    await advance(stripe, SETTLE)
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 6000, pending: 0 })
    assert.deepEqual(await usdBalance(stripe), { available: 9920 - 6000, pending: 0 })
  })
})

test.group('ACH: state file', (group) => {
  let file: string
  group.each.setup(() => {
    file = join(tmpdir(), `stripe-sandbox-ach-${randomBytes(6).toString('hex')}.json`)
    return () => rmSync(file, { force: true })
  })

  test('a debit in processing, a pending verification and settings survive a restart', async ({
    assert,
  }) => {
    const key = newKey()
    let sandbox = await startSandbox({ port: 0, log: false, stateFile: file })
    let stripe = clientFor(sandbox.port, key)
    await sandboxSettings(stripe, { ach_processing_days: 1 })
    const debit = await achPayment(stripe, 'pm_usBankAccount_insufficientFunds')
    const si = await pendingSetup(stripe)
    await stripeError(stripe.setupIntents.verifyMicrodeposits(si.id, { amounts: [1, 2] }))
    await sandbox.stop()

    sandbox = await startSandbox({ port: 0, log: false, stateFile: file })
    try {
      stripe = clientFor(sandbox.port, key)
      const settings = await sandboxSettings(stripe)
      assert.equal(settings.ach_processing_days, 1)
      const retry = await stripeError(
        stripe.setupIntents.verifyMicrodeposits(si.id, { amounts: [1, 2] })
      )
      assert.include(retry.message, '8 verification attempts remaining')
      await advance(stripe, 4 * DAY)
      const failed = await stripe.paymentIntents.retrieve(debit.id)
      assert.equal(failed.last_payment_error?.code, 'insufficient_funds')
      assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 0 })
      const verified = await stripe.setupIntents.verifyMicrodeposits(si.id, {
        descriptor_code: 'SM11AA',
      })
      assert.equal(verified.status, 'succeeded')
    } finally {
      await sandbox.stop()
    }
  })
})
