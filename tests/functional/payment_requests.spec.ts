import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import type Stripe from 'stripe'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import Payment from '#models/payment'
import PaymentRequest from '#models/payment_request'
import PaymentEvent from '#models/payment_event'
import Transfer from '#models/transfer'
import { stripe } from '#stripe/client'
import { businessNow } from '#services/clock'
import { setFeePlan } from '#actions/contractors/set_fee_plan'
import { hashRequestToken } from '#actions/payment_requests/request_link'
import { truncateAllTables } from '#tests/helpers/database'
import { followRedirect } from '#tests/helpers/http'
import { fakeMail, type SentMail } from '#tests/helpers/mail'
import { runJobs } from '#tests/helpers/jobs'
import { pdfText } from '#tests/helpers/pdf'
import { createUser } from '#tests/helpers/users'
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
  const { payload, signature } = signedWebhook(event as unknown as Stripe.Event & { type: string })
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
    assert.match(second.flashMessage('success'), /Your bank payment of \$600\.00 is processing/)
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
    assert.notEqual((await PaymentRequest.findOrFail(request.id)).status, 'void')

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
