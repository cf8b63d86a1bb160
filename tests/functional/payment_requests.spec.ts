import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import Payment from '#models/payment'
import PaymentRequest from '#models/payment_request'
import PaymentEvent from '#models/payment_event'
import Transfer from '#models/transfer'
import { stripe } from '#stripe/client'
import { businessNow } from '#services/clock'
import { enqueue } from '#services/queue'
import { setFeePlan } from '#actions/contractors/set_fee_plan'
import { hashRequestToken } from '#actions/payment_requests/request_link'
import { truncateAllTables } from '#tests/helpers/database'
import { followRedirect } from '#tests/helpers/http'
import { fakeMail, type SentMail } from '#tests/helpers/mail'
import { runJobs } from '#tests/helpers/jobs'
import { pdfText } from '#tests/helpers/pdf'
import {
  advanceSandboxClock,
  createActiveContractor,
  createEmployer,
  signedWebhook,
  stripeIdOf,
} from '#tests/helpers/stripe'
import { contractorBalance } from '#tests/functional/console_helpers'

/** A due date `days` from the business clock's today (the sandbox clock moves in other tests) */
async function dueIn(days: number) {
  const now = await businessNow()
  return now.toUTC().plus({ days }).toISODate()!
}

/** Carla, onboarded, with her own fee plan: 12.5% + $0.30 */
async function contractorWithPlan() {
  const carla = await createActiveContractor({ fullName: 'Carla Contractor' })
  await setFeePlan(carla, { basisPoints: 1250, fixed: 30, minimum: null, maximum: null }, 'test')
  return carla
}

async function sendRequest(
  client: ApiClient,
  contractor: User,
  fields: Partial<Record<string, string>> = {}
) {
  const response = await client
    .post('/my/payment-requests')
    .loginAs(contractor)
    .withCsrfToken()
    .form({
      employer_email: 'erin@example.com',
      description: 'Extra drywall found on site\nand two coats of paint',
      amount: '1,000.00',
      currency: 'usd',
      due_date: await dueIn(30),
      ...fields,
    })
    .redirects(0)
  return response
}

/** The /pay/<token> path a mail carries */
function payPathIn(mail: SentMail) {
  const match = /\/pay\/([A-Za-z0-9_-]+)/.exec(mail.text)
  if (!match) {
    throw new Error(`No payment link in: ${mail.text}`)
  }
  return `/pay/${match[1]}`
}

/** Stripe's latest event of `type` about `objectId`, delivered to the webhook as Stripe would */
async function deliverEvent(client: ApiClient, type: string, objectId: string) {
  const events = await stripe().events.list({ type, limit: 100 })
  const event = events.data.find(
    (candidate) => (candidate.data.object as { id: string }).id === objectId
  )
  if (!event) {
    throw new Error(`No ${type} event for ${objectId}`)
  }
  const { payload, signature } = signedWebhook(
    event as unknown as { type: string; data: { object: object } } & Record<string, unknown>
  )
  const response = await client
    .post('/stripe/webhook')
    .header('stripe-signature', signature)
    .header('content-type', 'application/json')
    .json(JSON.parse(payload))
  response.assertStatus(200)
  await runJobs(['apply_stripe_event'])
}

async function paymentsOf(request: PaymentRequest) {
  return Payment.query().where('paymentRequestId', request.id).orderBy('id')
}

test.group('Payment requests: from the link to paid', (group) => {
  group.each.setup(() => truncateAllTables())

  test('create → link by email → a guest signs up → 40% by card → receipt → the rest by bank → paid', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    const carla = await contractorWithPlan()

    // The contractor sends the request
    const created = await sendRequest(client, carla, { minimum_payment: '100.00' })
    const request = await PaymentRequest.firstOrFail()
    created.assertHeader('location', `/my/payment-requests/${request.id}`)
    assert.equal(request.amount, 100000)
    assert.equal(request.minimumPayment, 10000)
    assert.equal(request.employerEmail, 'erin@example.com')
    assert.isNull(request.employerId)
    assert.deepInclude(request.feePlan, { basisPoints: 1250, fixed: 30 })

    await runJobs(['send_notification'])
    const [sent] = mails.sent().filter((mail) => mail.message === 'payment_request')
    assert.deepEqual(sent.to, ['erin@example.com'])
    assert.include(sent.subject, '$1,000.00')
    const path = payPathIn(sent)
    const token = path.slice('/pay/'.length)
    // 32 random bytes; only its SHA-256 and an encrypted copy are stored
    assert.lengthOf(token, 43)
    assert.equal(request.tokenHash, hashRequestToken(token))
    const stored = await db.from('payment_requests').where('id', request.id).first()
    assert.notInclude(JSON.stringify(stored), token)
    const outbox = await db.from('notifications').where('message', 'payment_request').first()
    assert.notInclude(JSON.stringify(outbox.data), token)

    // The contractor's page shows the same link, copyable
    const mine = await client.get(`/my/payment-requests/${request.id}`).loginAs(carla)
    mine.assertStatus(200)
    mine.assertTextIncludes(path)
    mine.assertTextIncludes('Copy link')
    mine.assertTextIncludes('Open')

    // A guest is asked to log in or sign up with the address filled in
    const guest = await client.get(path)
    guest.assertStatus(200)
    guest.assertTextIncludes('Carla Contractor sent you a payment request')
    // The token never leaves in a Referer
    guest.assertHeader('referrer-policy', 'no-referrer')
    guest.assertTextIncludes('/signup?email=erin%40example.com&amp;role=employer')
    guest.assertTextIncludes('/login?email=erin%40example.com')
    assert.notInclude(guest.text(), 'Extra drywall')
    const signupPage = await client.get('/signup?email=erin%40example.com&role=employer')
    signupPage.assertTextIncludes('value="erin@example.com"')
    assert.match(signupPage.text(), /value="employer" checked/)

    // ... signs up, and comes back to the link
    const signedUp = await client
      .post('/signup')
      .withSession(guest.session())
      .withCsrfToken()
      .form({
        full_name: 'Erin Employer',
        email: 'erin@example.com',
        password: 'correct-horse-battery-9',
        role: 'employer',
      })
      .redirects(0)
    signedUp.assertHeader('location', path)
    await runJobs(['provision_stripe_identity'])
    const erin = await User.findByOrFail('email', 'erin@example.com')

    const page = await followRedirect(client, signedUp)
    page.assertStatus(200)
    page.assertTextIncludes('Payment request from Carla Contractor')
    page.assertTextIncludes('Extra drywall found on site')
    page.assertTextIncludes('$1,000.00')

    // 40% by a new card, saved for later
    const first = await client
      .post(path)
      .loginAs(erin)
      .withCsrfToken()
      .form({
        amount: '400.00',
        payment_method: 'new',
        new_payment_method: 'pm_card_visa',
        save_card: 'on',
        form_token: '2b0b7c5e-2f43-4d35-9a37-64a1d9c1a001',
      })
      .redirects(0)
    first.assertHeader('location', path)
    assert.equal(
      first.flashMessage('success'),
      'You paid $400.00. Your receipt is below and on its way by email.'
    )
    let [card] = await paymentsOf(request)
    assert.equal(card.status, 'succeeded')
    assert.equal(card.flow, 'destination')
    assert.isNull(card.orderId)
    assert.equal(card.amountCaptured, 40000)
    // 12.5% of $400.00 + $0.30
    assert.equal(card.applicationFeeAmount, 5030)
    const intent = await stripe().paymentIntents.retrieve(card.stripePaymentIntentId!)
    assert.equal(intent.capture_method, 'automatic')
    assert.equal(intent.application_fee_amount, 5030)
    assert.equal(intent.transfer_data?.destination, await stripeIdOf(carla))
    assert.equal(intent.metadata.payment_request_id, String(request.id))
    assert.equal(intent.setup_future_usage, 'off_session')
    // The card is saved on Erin's customer for later
    const saved = await stripe().paymentMethods.list({
      customer: await stripeIdOf(erin),
      type: 'card',
    })
    assert.lengthOf(saved.data, 1)
    assert.deepEqual(await contractorBalance(carla), { available: 0, pending: 40000 - 5030 })
    const transfer = await Transfer.findByOrFail('paymentId', card.id)
    assert.equal(transfer.kind, 'destination')
    assert.equal(transfer.contractorId, carla.id)

    // The page: paid so far, balance due, the receipt
    const afterCard = await client.get(path).loginAs(erin)
    afterCard.assertTextIncludes('Partially paid')
    assert.match(afterCard.text(), /data-figure="paid">\$400\.00/)
    assert.match(afterCard.text(), /data-figure="balance"><strong>\$600\.00/)
    afterCard.assertTextIncludes(`/payments/${card.id}/receipt.pdf`)

    const receipt = await client.get(`/payments/${card.id}/receipt.pdf`).loginAs(erin)
    receipt.assertStatus(200)
    receipt.assertHeader('content-type', 'application/pdf')
    const text = await pdfText(receipt.body() as Buffer)
    assert.include(text, 'Crewpay')
    assert.include(text, 'Contractor: Carla Contractor')
    assert.include(text, 'Employer: Erin Employer (erin@example.com)')
    assert.include(text, 'Extra drywall found on site')
    assert.include(text, 'Amount paid: $400.00')
    assert.include(text, 'Payment method: Visa ending in 4242')
    assert.include(text, `Stripe charge reference: ${card.stripeChargeId}`)
    assert.match(card.stripeChargeId!, /^ch_/)
    assert.include(text, 'Paid so far: $400.00')
    assert.include(text, 'Balance due: $600.00')

    // ... and by email, attached; the contractor hears of it too
    await runJobs(['send_notification'])
    const [mailed] = mails.sent().filter((mail) => mail.message === 'request_payment_receipt')
    assert.deepEqual(mailed.to, ['erin@example.com'])
    assert.lengthOf(mailed.attachments, 1)
    assert.equal(mailed.attachments[0].contentType, 'application/pdf')
    const attached = await pdfText(mailed.attachments[0].content)
    assert.include(attached, 'Amount paid: $400.00')
    assert.include(attached, 'Balance due: $600.00')
    const [told] = mails.sent().filter((mail) => mail.message === 'request_payment_received')
    assert.deepEqual(told.to, [carla.email])
    assert.include(told.text, 'you receive $349.70')

    // The rest by a verified bank account (saved by the bank-account flow; attached here)
    const bank = await stripe().paymentMethods.attach('pm_usBankAccount_success', {
      customer: await stripeIdOf(erin),
    })
    const withBank = await client.get(path).loginAs(erin)
    withBank.assertTextIncludes('STRIPE TEST BANK ···· 6789 (bank account)')
    const unauthorized = await client
      .post(path)
      .loginAs(erin)
      .withCsrfToken()
      .form({ amount: '600.00', payment_method: bank.id })
      .redirects(0)
    assert.deepEqual(unauthorized.flashMessage('inputErrorsBag'), {
      authorize_debit: ['Tick the box to authorize the debit from your bank account.'],
    })
    assert.lengthOf(await paymentsOf(request), 1)

    const second = await client
      .post(path)
      .loginAs(erin)
      .withCsrfToken()
      .header('user-agent', 'Mozilla/5.0 (test)')
      .form({ amount: '600.00', payment_method: bank.id, authorize_debit: 'on' })
      .redirects(0)
    assert.match(
      String(second.flashMessage('success')),
      /Your bank payment of \$600\.00 is processing/
    )
    let [, debit] = await paymentsOf(request)
    assert.equal(debit.status, 'processing')
    assert.equal(debit.methodType, 'us_bank_account')
    assert.equal(debit.applicationFeeAmount, 7530)
    assert.deepInclude(debit.mandateAcceptance!, {
      type: 'online',
      userAgent: 'Mozilla/5.0 (test)',
    })
    const processing = await client.get(path).loginAs(erin)
    processing.assertTextIncludes('Processing')
    assert.match(processing.text(), /data-figure="processing">\$600\.00/)
    assert.match(processing.text(), /data-figure="balance"><strong>\$0\.00/)
    assert.notInclude(processing.text(), 'id="pay-form"')

    // The bank debit clears (4 business days on the sandbox's clock): paid
    await advanceSandboxClock(7 * 86_400)
    await deliverEvent(client, 'payment_intent.succeeded', debit.stripePaymentIntentId!)
    ;[card, debit] = await paymentsOf(request)
    assert.equal(debit.status, 'succeeded')
    const paid = await client.get(path).loginAs(erin)
    assert.match(paid.text(), /data-status="paid"/)
    assert.match(paid.text(), /data-figure="paid">\$1,000\.00/)
    const list = await client.get('/my/payment-requests').loginAs(carla)
    assert.match(list.text(), /data-status="paid">Paid</)
    const balance = await contractorBalance(carla)
    assert.equal(balance.available + balance.pending, 100000 - 5030 - 7530)

    await runJobs(['send_notification'])
    const receipts = mails.sent().filter((mail) => mail.message === 'request_payment_receipt')
    assert.lengthOf(receipts, 2)
    const last = await pdfText(receipts[1].attachments[0].content)
    assert.include(last, 'Amount paid: $600.00')
    assert.include(last, 'Payment method: STRIPE TEST BANK account ending in 6789')
    assert.include(last, 'Paid so far: $1,000.00')
    assert.include(last, 'Balance due: $0.00')

    const events = await PaymentEvent.query().where('paymentRequestId', request.id).orderBy('id')
    assert.includeMembers(
      events.map((event) => event.type),
      ['payment_request.created', 'payment_request.payment_started', 'transfer.paid']
    )
  }).timeout(60_000)
})

/** A request made through the action (the contractor's form is tested above), with its link */
async function openRequest(
  client: ApiClient,
  contractor: User,
  fields: Partial<Record<string, string>> = {},
  mails = fakeMail()
) {
  const response = await sendRequest(client, contractor, fields)
  if (
    response.status() !== 302 ||
    !response.header('location')?.startsWith('/my/payment-requests/')
  ) {
    throw new Error(`Request not created: ${JSON.stringify(response.flashMessages())}`)
  }
  await runJobs(['send_notification'])
  const [sent] = mails.sent().filter((mail) => mail.message === 'payment_request')
  const request = await PaymentRequest.query().orderBy('id', 'desc').firstOrFail()
  return { request, path: payPathIn(sent) }
}

async function pay(client: ApiClient, employer: User, path: string, form: Record<string, string>) {
  return client.post(path).loginAs(employer).withCsrfToken().form(form).redirects(0)
}

test.group('Payment requests: who may open a link and a receipt', (group) => {
  group.each.setup(() => truncateAllTables())

  test('only the addressed employer opens and pays the link; anyone else gets a 404', async ({
    client,
    assert,
  }) => {
    const carla = await contractorWithPlan()
    const erin = await createEmployer({ email: 'erin@example.com' })
    const other = await createEmployer({ email: 'oscar@example.com' })
    const otherContractor = await createActiveContractor({ email: 'olga@example.com' })
    const { request, path } = await openRequest(client, carla)
    // The employer's account existed: the request names them from the start
    assert.equal(request.employerId, erin.id)

    const mine = await client.get(path).loginAs(erin)
    mine.assertStatus(200)
    for (const user of [other, otherContractor, carla]) {
      const page = await client.get(path).loginAs(user)
      page.assertStatus(404)
      assert.notInclude(page.text(), 'Extra drywall')
    }
    const stolen = await pay(client, other, path, {
      amount: '100.00',
      payment_method: 'new',
      new_payment_method: 'pm_card_visa',
    })
    stolen.assertStatus(404)
    const guessed = await client.get(`/pay/${'A'.repeat(43)}`).loginAs(erin)
    guessed.assertStatus(404)
    const malformed = await client.get('/pay/%00%27--').loginAs(erin)
    malformed.assertStatus(404)
    assert.lengthOf(await paymentsOf(request), 0)

    // The contractor's pages are hers alone
    for (const url of [
      `/my/payment-requests/${request.id}`,
      '/my/payment-requests/2147483647',
      '/my/payment-requests/99999999999999999999',
    ]) {
      const page = await client.get(url).loginAs(otherContractor)
      page.assertStatus(404)
    }
    const voidOthers = await client
      .post(`/my/payment-requests/${request.id}/void`)
      .loginAs(otherContractor)
      .withCsrfToken()
    voidOthers.assertStatus(404)
    const employerPage = await client.get('/my/payment-requests').loginAs(erin)
    employerPage.assertStatus(403)
    const reloaded = await PaymentRequest.findOrFail(request.id)
    assert.equal(reloaded.status, 'open')

    // A guest posting the form is sent to log in, and nothing is paid
    const guestPost = await client
      .post(path)
      .withCsrfToken()
      .form({ amount: '100.00' })
      .redirects(0)
    guestPost.assertStatus(302)
    guestPost.assertHeader('location', '/login')
    assert.lengthOf(await paymentsOf(request), 0)
  })

  test("a receipt is for the payment's employer and contractor only", async ({
    client,
    assert,
  }) => {
    const carla = await contractorWithPlan()
    const erin = await createEmployer({ email: 'erin@example.com' })
    const other = await createEmployer({ email: 'oscar@example.com' })
    const otherContractor = await createActiveContractor({ email: 'olga@example.com' })
    const { request, path } = await openRequest(client, carla)
    await pay(client, erin, path, { amount: '250.00', payment_method: await defaultCard(erin) })
    const [payment] = await paymentsOf(request)
    assert.equal(payment.status, 'succeeded')

    const url = `/payments/${payment.id}/receipt.pdf`
    for (const allowed of [erin, carla]) {
      const receipt = await client.get(url).loginAs(allowed)
      receipt.assertStatus(200)
      const text = await pdfText(receipt.body() as Buffer)
      assert.include(text, 'Amount paid: $250.00')
      assert.include(text, 'Balance due: $750.00')
    }
    for (const stranger of [other, otherContractor]) {
      const receipt = await client.get(url).loginAs(stranger)
      receipt.assertStatus(404)
    }
    const guest = await client.get(url).redirects(0)
    guest.assertHeader('location', '/login')
    for (const missing of ['/payments/999999/receipt.pdf', '/payments/abc/receipt.pdf']) {
      const response = await client.get(missing).loginAs(erin)
      response.assertStatus(404)
    }
  })
})

test.group("Payment requests: the receipt in the employer's time zone", (group) => {
  group.each.setup(() => truncateAllTables())

  test("the receipt's date is in the employer's zone, named, downloaded or mailed", async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    const carla = await contractorWithPlan()
    const erin = await createEmployer({ email: 'erin@example.com' })
    erin.timeZone = 'America/New_York'
    await erin.save()
    const { request, path } = await openRequest(client, carla, {}, mails)
    await pay(client, erin, path, { amount: '250.00', payment_method: await defaultCard(erin) })
    const [payment] = await paymentsOf(request)
    assert.equal(payment.status, 'succeeded')
    // A known moment: 02:30 UTC on July 4th is still July 3rd in New York (EDT, UTC−4)
    payment.succeededAt = DateTime.fromISO('2026-07-04T02:30:00Z')
    await payment.save()
    const local = 'Date: Jul 3, 2026, 22:30 EDT (America/New_York)'

    // The employer's download, and the contractor's (whose zone is UTC): the employer's time
    for (const user of [erin, carla]) {
      const receipt = await client.get(`/payments/${payment.id}/receipt.pdf`).loginAs(user)
      receipt.assertStatus(200)
      const text = await pdfText(receipt.body() as Buffer)
      assert.include(text, local)
      assert.notInclude(text, 'UTC')
    }
    await runJobs(['send_notification'])
    const [mailed] = mails.sent().filter((mail) => mail.message === 'request_payment_receipt')
    const attached = await pdfText(mailed.attachments[0].content)
    assert.include(attached, local)

    // An employer in UTC reads UTC, with no zone name added
    erin.timeZone = 'UTC'
    await erin.save()
    const utc = await client.get(`/payments/${payment.id}/receipt.pdf`).loginAs(erin)
    assert.include(await pdfText(utc.body() as Buffer), 'Date: Jul 4, 2026, 02:30 UTC\n')
  })
})

async function defaultCard(employer: User) {
  const { default: UserProfile } = await import('#models/user_profile')
  const profile = await UserProfile.findByOrFail('userId', employer.id)
  return profile.defaultPaymentMethodId!
}

test.group('Payment requests: bad input', (group) => {
  group.each.setup(() => truncateAllTables())

  test('the request form refuses what is wrong, beside each field, and creates nothing', async ({
    client,
    assert,
  }) => {
    const carla = await contractorWithPlan()
    await createActiveContractor({ email: 'olga@example.com' })
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ description: 'Drywall\u0000 and paint' }, 'description', /control character/],
      [{ description: 'x' }, 'description', /at least 3 characters/],
      [{ amount: '-5.00' }, 'amount', /cannot be negative/],
      [{ amount: '10.505' }, 'amount', /at most 2 decimals/],
      [{ amount: '999999999.99' }, 'amount', /too large/],
      [{ amount: '0.20' }, 'amount', /at least \$0\.50/],
      [{ amount: 'ten dollars' }, 'amount', /is not an amount/],
      [{ currency: 'jpy', amount: '1250.5' }, 'amount', /JPY has no decimals/],
      [{ currency: 'xyz' }, 'currency', /Choose one of/],
      [{ employer_email: 'not-an-email' }, 'employer_email', /email address/],
      [{ employer_email: carla.email }, 'employer_email', /to yourself/],
      [{ employer_email: 'olga@example.com' }, 'employer_email', /cannot pay requests/],
      [{ due_date: '2020-01-01' }, 'due_date', /cannot be in the past/],
      [{ due_date: '2026-02-30' }, 'due_date', /YYYY-MM-DD/],
      [{ due_date: 'tomorrow' }, 'due_date', /YYYY-MM-DD/],
      [{ minimum_payment: '2,000.00' }, 'minimum_payment', /cannot be more than the amount/],
    ]
    for (const [fields, field, message] of cases) {
      const response = await sendRequest(client, carla, fields)
      response.assertStatus(302)
      response.assertHeader('location', '/my/payment-requests')
      const errors = response.flashMessage('inputErrorsBag') as Record<string, string[]>
      assert.property(errors, field, JSON.stringify(fields))
      assert.match(errors[field].join(' '), message, JSON.stringify(fields))
    }
    assert.lengthOf(await PaymentRequest.all(), 0)

    // The form shows the message tied to its field
    const page = await followRedirect(
      client,
      await sendRequest(client, carla, { amount: '10.505' })
    )
    assert.match(page.text(), /aria-describedby="amount-hint amount-error"/)
    page.assertTextIncludes('id="amount-error"')

    // JSON clients get a 422
    const json = await client
      .post('/my/payment-requests')
      .loginAs(carla)
      .withCsrfToken()
      .header('accept', 'application/json')
      .form({
        employer_email: 'erin@example.com',
        description: 'Paint',
        amount: '-1',
        currency: 'usd',
        due_date: await dueIn(3),
      })
    json.assertStatus(422)

    // A zero-decimal currency takes whole yen, with thousands separators
    const yen = await sendRequest(client, carla, { currency: 'jpy', amount: '125,000' })
    yen.assertStatus(302)
    const request = await PaymentRequest.firstOrFail()
    assert.equal(request.amount, 125000)
    assert.equal(request.currency, 'jpy')
  })

  test('a payment above the balance, below the minimum, with too many decimals or of nothing is refused', async ({
    client,
    assert,
  }) => {
    const carla = await contractorWithPlan()
    const erin = await createEmployer({ email: 'erin@example.com' })
    const { request, path } = await openRequest(client, carla, { minimum_payment: '100.00' })
    const card = await defaultCard(erin)
    // Another employer's saved card is never usable here
    const olgasCard = await defaultCard(await createEmployer({ email: 'olga@example.com' }))
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ amount: '1,000.01' }, 'amount', /at most the balance due, \$1,000\.00/],
      [{ amount: '99.99' }, 'amount', /at least \$100\.00/],
      [{ amount: '100.001' }, 'amount', /at most 2 decimals/],
      [{ amount: '-100.00' }, 'amount', /cannot be negative/],
      [{ amount: '0' }, 'amount', /at least \$0\.50/],
      [{ amount: '99999999999' }, 'amount', /too large/],
      [{ amount: '' }, 'amount', /Enter/],
      [{ amount: '999.80' }, 'amount', /would leave \$0\.20/],
      [{ amount: '100.00', payment_method: olgasCard }, '', /could not be used/],
      [{ amount: '100.00', payment_method: 'tok_visa' }, 'payment_method', /saved payment methods/],
      [{ amount: '100.00', payment_method: 'new' }, 'new_payment_method', /Enter the new card/],
      [{ amount: '100.00', form_token: 'not-a-uuid' }, 'form_token', /expired/],
    ]
    for (const [fields, field, message] of cases) {
      const response = await pay(client, erin, path, { payment_method: card, ...fields })
      response.assertStatus(302)
      response.assertHeader('location', path)
      if (field) {
        const errors = response.flashMessage('inputErrorsBag') as Record<string, string[]>
        assert.property(errors, field, JSON.stringify(fields))
        assert.match(errors[field].join(' '), message, JSON.stringify(fields))
      } else {
        assert.match(String(response.flashMessage('error')), message, JSON.stringify(fields))
      }
    }
    assert.lengthOf(await paymentsOf(request), 0)

    // A part leaving less than the minimum is fine when it is the whole rest
    const part = await pay(client, erin, path, { amount: '950.00', payment_method: card })
    assert.match(String(part.flashMessage('success')), /You paid \$950\.00/)
    const rest = await pay(client, erin, path, { amount: '50.00', payment_method: card })
    assert.match(String(rest.flashMessage('success')), /You paid \$50\.00/)
    const more = await pay(client, erin, path, { amount: '1.00', payment_method: card })
    assert.match(
      (more.flashMessage('inputErrorsBag') as Record<string, string[]>).amount[0],
      /Nothing is left to pay/
    )
    const payments = await paymentsOf(request)
    assert.deepEqual(
      payments.map((payment) => [payment.status, payment.amount, payment.applicationFeeAmount]),
      [
        ['succeeded', 95000, 11905],
        ['succeeded', 5000, 655],
      ]
    )
  })

  test("DESIGN.md's form: `payment_method` may be a card entered now (a pm_… not saved), never another employer's", async ({
    client,
    assert,
  }) => {
    const carla = await contractorWithPlan()
    const erin = await createEmployer({ email: 'erin@example.com' })
    const { request, path } = await openRequest(client, carla)

    const entered = await pay(client, erin, path, {
      amount: '100.00',
      payment_method: 'pm_card_mastercard',
    })
    entered.assertStatus(302)
    assert.match(String(entered.flashMessage('success')), /You paid \$100\.00/)
    const [payment] = await paymentsOf(request)
    assert.equal(payment.status, 'succeeded')
    assert.equal(payment.amount, 10000)
    const intent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(intent.status, 'succeeded')
    assert.notEqual(intent.payment_method, await defaultCard(erin))
  })

  test("a request in yen is paid in whole yen, with the fee plan's fee to the yen", async ({
    client,
    assert,
  }) => {
    const carla = await contractorWithPlan()
    const erin = await createEmployer({ email: 'erin@example.com' })
    const { request, path } = await openRequest(client, carla, {
      currency: 'jpy',
      amount: '10,001',
    })
    assert.equal(request.amount, 10001)

    const decimals = await pay(client, erin, path, {
      amount: '5000.5',
      payment_method: await defaultCard(erin),
    })
    assert.match(
      (decimals.flashMessage('inputErrorsBag') as Record<string, string[]>).amount[0],
      /JPY has no decimals/
    )
    const paid = await pay(client, erin, path, {
      amount: '4,001',
      payment_method: await defaultCard(erin),
    })
    assert.match(String(paid.flashMessage('success')), /You paid ¥4,001/)
    const [payment] = await paymentsOf(request)
    assert.equal(payment.amount, 4001)
    assert.equal(payment.currency, 'jpy')
    // round_half_up(4001 × 12.5%) = 500 (500.125), + the fixed 30 (yen, in a yen request)
    assert.equal(payment.applicationFeeAmount, 530)
    const intent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(intent.amount, 4001)
    assert.equal(intent.currency, 'jpy')
    assert.equal(intent.application_fee_amount, 530)
    const page = await client.get(path).loginAs(erin)
    assert.match(page.text(), /data-figure="balance"><strong>¥6,000/)
    // A bank account pays US dollars only
    const bank = await stripe().paymentMethods.attach('pm_usBankAccount_success', {
      customer: await stripeIdOf(erin),
    })
    const byBank = await pay(client, erin, path, {
      amount: '6,000',
      payment_method: bank.id,
      authorize_debit: 'on',
    })
    assert.match(String(byBank.flashMessage('error')), /US dollars only/)
    assert.lengthOf(await paymentsOf(request), 1)
  })
})

test.group('Payment requests: paying twice at once', (group) => {
  group.each.setup(() => truncateAllTables())

  test('two payments of the whole balance at once: one succeeds, the other is refused', async ({
    client,
    assert,
  }) => {
    const carla = await contractorWithPlan()
    const erin = await createEmployer({ email: 'erin@example.com' })
    const { request, path } = await openRequest(client, carla)
    const card = await defaultCard(erin)

    const responses = await Promise.all(
      ['0d7f3a5e-6a3a-4a4e-8f43-5a1b2c3d4e01', '0d7f3a5e-6a3a-4a4e-8f43-5a1b2c3d4e02'].map(
        (formToken) =>
          pay(client, erin, path, {
            amount: '1,000.00',
            payment_method: card,
            form_token: formToken,
          })
      )
    )
    const payments = await paymentsOf(request)
    assert.lengthOf(payments, 1)
    assert.equal(payments[0].status, 'succeeded')
    const outcomes = responses.map((response) =>
      response.flashMessage('success')
        ? 'paid'
        : (response.flashMessage('inputErrorsBag') as Record<string, string[]>).amount[0]
    )
    assert.sameMembers(outcomes, ['paid', outcomes.find((outcome) => outcome !== 'paid')!])
    assert.match(
      outcomes.find((outcome) => outcome !== 'paid')!,
      /Nothing (can be paid right now|is left to pay)/
    )
    const intents = await stripe().paymentIntents.list({ customer: await stripeIdOf(erin) })
    assert.lengthOf(intents.data, 1)
  })

  test('the same payment form sent twice pays once', async ({ client, assert }) => {
    const carla = await contractorWithPlan()
    const erin = await createEmployer({ email: 'erin@example.com' })
    const { request, path } = await openRequest(client, carla)
    const form = {
      amount: '300.00',
      payment_method: await defaultCard(erin),
      form_token: '5e0c2b7a-1d2e-4f5a-9b8c-7d6e5f4a3b21',
    }
    const responses = await Promise.all([0, 1, 2].map(() => pay(client, erin, path, form)))
    for (const response of responses) {
      response.assertHeader('location', path)
    }
    const payments = await paymentsOf(request)
    assert.lengthOf(payments, 1)
    assert.equal(payments[0].amount, 30000)
    const again = await pay(client, erin, path, form)
    assert.match(String(again.flashMessage('success')), /You paid \$300\.00/)
    assert.lengthOf(await paymentsOf(request), 1)
    const intents = await stripe().paymentIntents.list({ customer: await stripeIdOf(erin) })
    assert.lengthOf(intents.data, 1)
  })
})

test.group('Payment requests: void, declines and failed bank debits', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a voided link says the request was canceled and cannot be paid; a paid one cannot be voided', async ({
    client,
    assert,
  }) => {
    const carla = await contractorWithPlan()
    const erin = await createEmployer({ email: 'erin@example.com' })
    const { request, path } = await openRequest(client, carla)

    const voided = await client
      .post(`/my/payment-requests/${request.id}/void`)
      .loginAs(carla)
      .withCsrfToken()
      .redirects(0)
    voided.assertHeader('location', `/my/payment-requests/${request.id}`)
    const reloaded = await PaymentRequest.findOrFail(request.id)
    assert.equal(reloaded.status, 'void')
    assert.isNotNull(reloaded.voidedAt)
    assert.equal(reloaded.voidedBy, `user:${carla.id}`)

    const page = await client.get(path).loginAs(erin)
    page.assertStatus(200)
    page.assertTextIncludes('This request was canceled')
    assert.notInclude(page.text(), 'id="pay-form"')
    const guest = await client.get(path)
    guest.assertTextIncludes('This request was canceled')
    const refused = await pay(client, erin, path, {
      amount: '100.00',
      payment_method: await defaultCard(erin),
    })
    assert.equal(refused.flashMessage('error'), 'This request was canceled: it cannot be paid.')
    assert.lengthOf(await paymentsOf(request), 0)
    const again = await client
      .post(`/my/payment-requests/${request.id}/void`)
      .loginAs(carla)
      .withCsrfToken()
      .header('accept', 'application/json')
    again.assertStatus(409)
    const list = await client.get('/my/payment-requests').loginAs(carla)
    assert.match(list.text(), /data-status="void">Canceled</)

    // A request with a payment cannot be voided
    const { request: second, path: secondPath } = await openRequest(client, carla)
    await pay(client, erin, secondPath, {
      amount: '100.00',
      payment_method: await defaultCard(erin),
    })
    const partial = await client
      .post(`/my/payment-requests/${second.id}/void`)
      .loginAs(carla)
      .withCsrfToken()
      .header('accept', 'application/json')
    partial.assertStatus(409)
    assert.match(partial.body().error, /\$100\.00 of it is paid/)
    const still = await PaymentRequest.findOrFail(second.id)
    assert.equal(still.status, 'open')
  })

  test('a declined card changes nothing; a failed bank debit opens the balance again', async ({
    client,
    assert,
  }) => {
    const carla = await contractorWithPlan()
    const erin = await createEmployer({ email: 'erin@example.com' })
    const { request, path } = await openRequest(client, carla)

    const declined = await pay(client, erin, path, {
      amount: '200.00',
      payment_method: 'new',
      new_payment_method: 'pm_card_visa_chargeDeclined',
    })
    assert.equal(declined.flashMessage('error'), 'Your card was declined.')
    let [payment] = await paymentsOf(request)
    assert.equal(payment.status, 'failed')

    // A card whose bank asks for 3-D Secure waits for it (payment_requests_3ds.spec.ts):
    // canceled by the employer, nothing is held
    const secure = await pay(client, erin, path, {
      amount: '200.00',
      payment_method: 'new',
      new_payment_method: 'pm_card_authenticationRequired',
    })
    assert.match(String(secure.flashMessage('warning')), /Your bank asks you to confirm/)
    const [, authentication] = await paymentsOf(request)
    assert.equal(authentication.status, 'requires_action')
    await client
      .post(`/payments/${authentication.id}/cancel`)
      .loginAs(erin)
      .withCsrfToken()
      .redirects(0)
    await authentication.refresh()
    assert.equal(authentication.status, 'canceled')

    const bank = await stripe().paymentMethods.attach('pm_usBankAccount_insufficientFunds', {
      customer: await stripeIdOf(erin),
    })
    await pay(client, erin, path, {
      amount: '1,000.00',
      payment_method: bank.id,
      authorize_debit: 'on',
    })
    ;[, , payment] = await paymentsOf(request)
    assert.equal(payment.status, 'processing')
    let page = await client.get(path).loginAs(erin)
    assert.match(page.text(), /data-figure="balance"><strong>\$0\.00/)

    await advanceSandboxClock(7 * 86_400)
    await deliverEvent(client, 'payment_intent.payment_failed', payment.stripePaymentIntentId!)
    ;[, , payment] = await paymentsOf(request)
    assert.equal(payment.status, 'failed')
    assert.match(payment.failureMessage!, /not have enough/)
    page = await client.get(path).loginAs(erin)
    assert.match(page.text(), /data-figure="balance"><strong>\$1,000\.00/)
    assert.match(page.text(), /data-status="(open|overdue)"/)
    assert.deepEqual(await contractorBalance(carla), { available: 0, pending: 0 })
    // Nothing was paid: no receipt, no transfer
    assert.lengthOf(await Transfer.all(), 0)
    const receipt = await client.get(`/payments/${payment.id}/receipt.pdf`).loginAs(erin)
    receipt.assertStatus(404)
  })
})

test.group('Payment requests: mail', (group) => {
  group.each.setup(() => truncateAllTables())

  test('resending the link is spaced out; an overdue request gets one reminder', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    const carla = await contractorWithPlan()
    const { request } = await openRequest(client, carla, { due_date: await dueIn(1) }, mails)
    const soon = await client
      .post(`/my/payment-requests/${request.id}/resend`)
      .loginAs(carla)
      .withCsrfToken()
      .redirects(0)
    assert.match(String(soon.flashMessage('error')), /less than 10 minutes ago/)

    await PaymentRequest.query()
      .where('id', request.id)
      .update({ lastSentAt: DateTime.now().minus({ days: 1 }).toJSDate() })
    const resent = await client
      .post(`/my/payment-requests/${request.id}/resend`)
      .loginAs(carla)
      .withCsrfToken()
      .redirects(0)
    assert.equal(resent.flashMessage('success'), 'The link was sent again to erin@example.com.')
    await runJobs(['send_notification'])
    const links = mails.sent().filter((mail) => mail.message === 'payment_request')
    assert.lengthOf(links, 2)
    assert.equal(payPathIn(links[0]), payPathIn(links[1]))

    // Not overdue yet: no reminder
    const { remindOverdueRequests } = await import('#actions/payment_requests/send_link')
    assert.equal(await remindOverdueRequests(), 0)
    // Two days later (the due date has passed)
    const now = await businessNow()
    await PaymentRequest.query()
      .where('id', request.id)
      .update({ dueDate: now.toUTC().minus({ days: 2 }).toISODate() })
    // The hourly job, run twice: one reminder
    await enqueue('remind_overdue_requests', {})
    await runJobs(['remind_overdue_requests'])
    await enqueue('remind_overdue_requests', {})
    await runJobs(['remind_overdue_requests'])
    assert.equal(await remindOverdueRequests(), 0)
    await runJobs(['send_notification'])
    const reminders = mails.sent().filter((mail) => mail.message === 'payment_request_overdue')
    assert.lengthOf(reminders, 1)
    assert.deepEqual(reminders[0].to, ['erin@example.com'])
    assert.include(reminders[0].subject, '$1,000.00')
    assert.equal(payPathIn(reminders[0]), payPathIn(links[0]))
    const list = await client.get('/my/payment-requests').loginAs(carla)
    assert.match(list.text(), /data-status="overdue">Overdue</)
  })
})
