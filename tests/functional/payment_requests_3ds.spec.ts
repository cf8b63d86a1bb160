import { randomUUID } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import ace from '@adonisjs/core/services/ace'
import type User from '#models/user'
import Payment from '#models/payment'
import PaymentEvent from '#models/payment_event'
import type PaymentRequest from '#models/payment_request'
import Transfer from '#models/transfer'
import PaymentRequestsPay from '#commands/payment_requests_pay'
import { appUrl } from '#config/app'
import { stripe } from '#stripe/client'
import { businessNow } from '#services/clock'
import { setFeePlan } from '#actions/contractors/set_fee_plan'
import { finishCardAuthentication, setUpCard } from '#actions/billing/add_card'
import { createPaymentRequest } from '#actions/payment_requests/create_request'
import { requestLinkPath } from '#actions/payment_requests/request_link'
import { truncateAllTables } from '#tests/helpers/database'
import { followRedirect } from '#tests/helpers/http'
import { runJobs } from '#tests/helpers/jobs'
import { enqueue } from '#services/queue'
import { throughSandboxAuthentication } from '#tests/helpers/three_d_secure'
import {
  advanceSandboxClock,
  createActiveContractor,
  createEmployer,
  defaultCardOf,
  signedWebhook,
} from '#tests/helpers/stripe'
import { contractorBalance, errorsOf, runCommand } from '#tests/functional/console_helpers'

/*
| A payment request paid by a card whose bank asks for 3-D Secure: the
| payment waits (reserving its amount), the employer goes to the bank's page
| and comes back to /payments/:id/authenticated; a payment left waiting is
| canceled. Against the Stripe sandbox and its 3-D Secure test page.
*/

const CARD_3DS = 'pm_card_authenticationRequired'
/** 12.5% + $0.30 of $1,000.00 */
const FEE_ON_1000 = 12530

/** Carla (12.5% + $0.30) bills Erin $1,000.00; the request's link */
async function billed(card: string | null = 'pm_card_visa') {
  const carla = await createActiveContractor({ fullName: 'Carla Contractor' })
  await setFeePlan(carla, { basisPoints: 1250, fixed: 30, minimum: null, maximum: null }, 'test')
  const erin = await createEmployer({ email: 'erin@example.com', fullName: 'Erin Employer' }, card)
  const now = await businessNow()
  const request = await createPaymentRequest(carla, {
    employerEmail: 'erin@example.com',
    description: 'Deposit for the bathroom',
    amount: 100000,
    currency: 'usd',
    dueDate: now.toUTC().plus({ days: 30 }).toISODate()!,
  })
  return { carla, erin, request, path: requestLinkPath(request)! }
}

function pay(client: ApiClient, employer: User, path: string, form: Record<string, string>) {
  return client
    .post(path)
    .loginAs(employer)
    .withCsrfToken()
    .form({ form_token: randomUUID(), ...form })
    .redirects(0)
}

/** Pays `amount` with a new card that asks for 3-D Secure: the payment left waiting */
async function payWaiting(client: ApiClient, employer: User, path: string, amount = '1,000.00') {
  const response = await pay(client, employer, path, {
    amount,
    payment_method: 'new',
    new_payment_method: CARD_3DS,
  })
  const payment = await Payment.query().orderBy('id', 'desc').firstOrFail()
  return { response, payment }
}

/** The pay page's "Continue with your bank" link, the bank's page, and back to the return_url */
async function throughTheBank(
  client: ApiClient,
  employer: User,
  payment: Payment,
  outcome: 'succeed' | 'fail'
) {
  const toBank = await client
    .get(`/payments/${payment.id}/authenticate`)
    .loginAs(employer)
    .redirects(0)
  toBank.assertStatus(302)
  return throughSandboxAuthentication(toBank.header('location')!, outcome)
}

function paymentsOf(request: PaymentRequest) {
  return Payment.query().where('paymentRequestId', request.id).orderBy('id')
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
  const ran = await runJobs(['apply_stripe_event'])
  if (ran.failed > 0) {
    throw new Error(`Event not applied: ${ran.errors.join('; ')}`)
  }
}

/**
 * The receipts handed to the mailer: the outbox's rows (one per payment,
 * by key), after the send_notification jobs ran
 */
async function receiptsSent() {
  const ran = await runJobs(['send_notification'])
  if (ran.failed > 0) {
    throw new Error(`Mail not sent: ${ran.errors.join('; ')}`)
  }
  const rows = await db
    .from('notifications')
    .where('message', 'request_payment_receipt')
    .select('status', 'user_id')
  return rows as { status: string; user_id: number }[]
}

test.group('Payment requests: 3-D Secure', (group) => {
  group.each.setup(() => truncateAllTables())

  test('the bank asks: the payment waits, the employer authenticates, the request is paid once', async ({
    client,
    assert,
  }) => {
    const { carla, erin, request, path } = await billed()

    const { response, payment } = await payWaiting(client, erin, path)

    response.assertHeader('location', path)
    assert.equal(
      response.flashMessage('warning'),
      'Your bank asks you to confirm this payment of $1,000.00: continue with your bank below.'
    )
    // Nothing failed: a warning to act on, not an error
    const shown = await followRedirect(client, response)
    shown.assertTextIncludes('class="flash warning" role="status"')
    assert.notInclude(shown.text(), 'class="flash error"')
    assert.equal(payment.status, 'requires_action')
    assert.isTrue(payment.onSession)
    const intent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(intent.status, 'requires_action')
    assert.equal(intent.next_action?.type, 'redirect_to_url')
    assert.equal(
      intent.next_action?.redirect_to_url?.return_url,
      `${appUrl}/payments/${payment.id}/authenticated`
    )
    // The pay page: waiting, a link to continue, the amount kept aside (no form to pay it again)
    const page = await followRedirect(client, response)
    page.assertTextIncludes('Waiting for your bank’s confirmation')
    page.assertTextIncludes(`href="/payments/${payment.id}/authenticate"`)
    page.assertTextIncludes(`action="/payments/${payment.id}/cancel"`)
    assert.match(page.text(), /data-figure="awaiting">\$1,000\.00/)
    assert.match(page.text(), /data-figure="balance"><strong>\$0\.00/)
    assert.notInclude(page.text(), 'id="pay-form"')
    assert.lengthOf(await receiptsSent(), 0)
    // The contractor sees it waiting for the employer's bank, not paid
    const mine = await client.get(`/my/payment-requests/${request.id}`).loginAs(carla)
    assert.match(mine.text(), /data-figure="awaiting">\$1,000\.00/)
    assert.match(mine.text(), /data-figure="paid">\$0\.00/)

    const back = await throughTheBank(client, erin, payment, 'succeed')
    assert.equal(back.path.split('?')[0], `/payments/${payment.id}/authenticated`)
    const returned = await client.get(back.path).loginAs(erin).redirects(0)

    returned.assertHeader('location', path)
    assert.equal(
      returned.flashMessage('success'),
      'You paid $1,000.00. Your receipt is below and on its way by email.'
    )
    await payment.refresh()
    assert.equal(payment.status, 'succeeded')
    assert.equal(payment.amountCaptured, 100000)
    assert.equal(payment.applicationFeeAmount, FEE_ON_1000)
    const paidPage = await client.get(path).loginAs(erin)
    assert.match(paidPage.text(), /data-status="paid"/)
    assert.notInclude(paidPage.text(), 'Waiting for your bank’s confirmation')
    assert.deepEqual(await contractorBalance(carla), {
      available: 0,
      pending: 100000 - FEE_ON_1000,
    })

    // The return_url reloaded twice, then the webhook: recorded once, one receipt
    for (const reload of [1, 2]) {
      const again = await client.get(back.path).loginAs(erin).redirects(0)
      again.assertHeader('location', path)
      assert.isString(again.flashMessage('success'), `reload ${reload}`)
    }
    await deliverEvent(client, 'payment_intent.succeeded', payment.stripePaymentIntentId!)
    const receipts = await receiptsSent()
    assert.lengthOf(receipts, 1)
    assert.equal(receipts[0].status, 'sent')
    assert.equal(receipts[0].user_id, erin.id)
    assert.lengthOf(await Transfer.query().where('paymentId', payment.id), 1)
    const succeeded = await PaymentEvent.query()
      .where('paymentId', payment.id)
      .where('type', 'payment.succeeded')
    assert.lengthOf(succeeded, 1)
    assert.deepEqual(await contractorBalance(carla), {
      available: 0,
      pending: 100000 - FEE_ON_1000,
    })
  }).timeout(60_000)

  test('a failed authentication fails the payment and the balance is due again', async ({
    client,
    assert,
  }) => {
    const { carla, erin, path } = await billed()
    const { payment } = await payWaiting(client, erin, path, '400.00')

    const back = await throughTheBank(client, erin, payment, 'fail')
    const returned = await client.get(back.path).loginAs(erin).redirects(0)

    returned.assertHeader('location', path)
    assert.match(
      String(returned.flashMessage('error')),
      /^Your payment of \$400\.00 was not made: .+ Nothing was charged; the balance is due again\.$/
    )
    await payment.refresh()
    assert.equal(payment.status, 'failed')
    const page = await followRedirect(client, returned)
    assert.match(page.text(), /data-figure="balance"><strong>\$1,000\.00/)
    page.assertTextIncludes('id="pay-form"')
    assert.notInclude(page.text(), 'Waiting for your bank’s confirmation')
    assert.lengthOf(await receiptsSent(), 0)
    assert.deepEqual(await contractorBalance(carla), { available: 0, pending: 0 })
    // Nothing to authenticate any more
    const link = await client.get(`/payments/${payment.id}/authenticate`).loginAs(erin).redirects(0)
    link.assertHeader('location', path)
    assert.equal(link.flashMessage('success'), 'This payment does not need your bank any more.')
    // The balance is paid another way
    const paid = await pay(client, erin, path, {
      amount: '1,000.00',
      payment_method: await defaultCardOf(erin),
    })
    assert.match(String(paid.flashMessage('success')), /You paid \$1,000\.00/)
  }).timeout(60_000)

  test('coming back without authenticating keeps the payment waiting; the query is not trusted', async ({
    client,
    assert,
  }) => {
    const { erin, path } = await billed()
    const { payment } = await payWaiting(client, erin, path)

    const back = await client
      .get(
        `/payments/${payment.id}/authenticated?payment_intent=${payment.stripePaymentIntentId}&redirect_status=succeeded`
      )
      .loginAs(erin)
      .redirects(0)

    back.assertHeader('location', path)
    assert.match(String(back.flashMessage('warning')), /Your bank has not confirmed your payment/)
    await payment.refresh()
    assert.equal(payment.status, 'requires_action')
  })

  test("another employer or the contractor: 404 on the payment's authentication and cancel", async ({
    client,
    assert,
  }) => {
    const { carla, erin, path } = await billed()
    const { payment } = await payWaiting(client, erin, path)
    const other = await createEmployer({ email: 'olga@example.com' })

    for (const user of [other, carla]) {
      for (const url of [
        `/payments/${payment.id}/authenticate`,
        `/payments/${payment.id}/authenticated?payment_intent=${payment.stripePaymentIntentId}`,
      ]) {
        const response = await client.get(url).loginAs(user).redirects(0)
        response.assertStatus(404)
      }
      const cancel = await client
        .post(`/payments/${payment.id}/cancel`)
        .loginAs(user)
        .withCsrfToken()
        .header('accept', 'application/json')
      cancel.assertStatus(404)
    }
    const guest = await client.get(`/payments/${payment.id}/authenticate`).redirects(0)
    guest.assertStatus(302)
    assert.notInclude(String(guest.header('location')), 'sandbox')
    await payment.refresh()
    assert.equal(payment.status, 'requires_action')
    const intent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(intent.status, 'requires_action')
  })

  test('two tabs: a payment waiting for the bank keeps its amount; the whole balance cannot be paid again', async ({
    client,
    assert,
  }) => {
    const { carla, erin, request, path } = await billed()
    const card = await defaultCardOf(erin)
    // Both tabs opened before either paid
    const { payment } = await payWaiting(client, erin, path)

    const second = await pay(client, erin, path, { amount: '1,000.00', payment_method: card })

    second.assertHeader('location', path)
    const errors = second.flashMessage('inputErrorsBag') as Record<string, string[]>
    assert.equal(
      errors.amount[0],
      'Nothing can be paid right now: $1,000.00 is waiting for your bank’s confirmation. Continue it, or cancel it to pay another way.'
    )
    assert.lengthOf(await paymentsOf(request), 1)

    // The waiting payment completes: paid once, nothing more
    const back = await throughTheBank(client, erin, payment, 'succeed')
    await client.get(back.path).loginAs(erin).redirects(0)
    const third = await pay(client, erin, path, { amount: '1,000.00', payment_method: card })
    const refused = third.flashMessage('inputErrorsBag') as Record<string, string[]>
    assert.equal(refused.amount[0], 'Nothing is left to pay on this request.')
    const payments = await paymentsOf(request)
    assert.deepEqual(
      payments.map((row) => [row.status, row.amountCaptured]),
      [['succeeded', 100000]]
    )
    assert.lengthOf(await receiptsSent(), 1)
    assert.deepEqual(await contractorBalance(carla), {
      available: 0,
      pending: 100000 - FEE_ON_1000,
    })
  }).timeout(60_000)

  test('two tabs at once, a 3-D Secure card and a saved card, each for the whole balance: at most one', async ({
    client,
    assert,
  }) => {
    const { erin, request, path } = await billed()
    const card = await defaultCardOf(erin)

    await Promise.all([
      pay(client, erin, path, {
        amount: '1,000.00',
        payment_method: 'new',
        new_payment_method: CARD_3DS,
      }),
      pay(client, erin, path, { amount: '1,000.00', payment_method: card }),
    ])

    const payments = await paymentsOf(request)
    assert.lengthOf(payments, 1)
    assert.include(['requires_action', 'succeeded'], payments[0].status)
    const [payment] = payments
    if (payment.status === 'requires_action') {
      const back = await throughTheBank(client, erin, payment, 'succeed')
      await client.get(back.path).loginAs(erin).redirects(0)
      await payment.refresh()
    }
    assert.equal(payment.status, 'succeeded')
    assert.equal(payment.amountCaptured, 100000)
  }).timeout(60_000)

  test('a payment left waiting is canceled by the job after an hour, or by the employer: the amount is free again', async ({
    client,
    assert,
  }) => {
    // The sandbox's clock already ahead of real time (as other tests and the dev panel leave it)
    await advanceSandboxClock(3 * 60 * 60)
    const { erin, request, path } = await billed()
    const { payment } = await payWaiting(client, erin, path, '600.00')

    // Not yet abandoned: the job leaves it
    await enqueue('send_pending_writes', {})
    await runJobs(['send_pending_writes'])
    await payment.refresh()
    assert.equal(payment.status, 'requires_action')

    await advanceSandboxClock(61 * 60)
    await enqueue('send_pending_writes', {})
    await runJobs(['send_pending_writes'])

    await payment.refresh()
    assert.equal(payment.status, 'canceled')
    assert.equal(payment.cancellationReason, 'abandoned')
    assert.isNull(payment.pendingAction)
    const intent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(intent.status, 'canceled')
    assert.equal(intent.cancellation_reason, 'abandoned')
    let page = await client.get(path).loginAs(erin)
    assert.match(page.text(), /data-figure="balance"><strong>\$1,000\.00/)
    // The bank's page link says it is over
    const link = await client.get(`/payments/${payment.id}/authenticate`).loginAs(erin).redirects(0)
    link.assertHeader('location', path)
    const late = await client
      .get(`/payments/${payment.id}/authenticated`)
      .loginAs(erin)
      .redirects(0)
    assert.equal(
      late.flashMessage('warning'),
      'Your payment of $600.00 was canceled before your bank confirmed it: nothing was charged.'
    )

    // The employer cancels another one from the pay page, and pays another way
    const { payment: second } = await payWaiting(client, erin, path)
    const canceled = await client
      .post(`/payments/${second.id}/cancel`)
      .loginAs(erin)
      .withCsrfToken()
      .redirects(0)
    canceled.assertHeader('location', path)
    assert.equal(
      canceled.flashMessage('success'),
      'The payment waiting for your bank was canceled: nothing was charged.'
    )
    await second.refresh()
    assert.equal(second.status, 'canceled')
    assert.equal(second.cancellationReason, 'requested_by_customer')
    page = await client.get(path).loginAs(erin)
    assert.match(page.text(), /data-figure="balance"><strong>\$1,000\.00/)
    // Canceling again changes nothing
    const again = await client
      .post(`/payments/${second.id}/cancel`)
      .loginAs(erin)
      .withCsrfToken()
      .redirects(0)
    again.assertHeader('location', path)
    await second.refresh()
    assert.equal(second.status, 'canceled')
    // One cancel asked of Stripe, on the request's own audit trail
    const cancels = await PaymentEvent.query()
      .where('paymentId', second.id)
      .where('type', 'payment.cancel_requested')
    assert.lengthOf(cancels, 1)
    assert.equal(cancels[0].paymentRequestId, second.paymentRequestId)
    const paid = await pay(client, erin, path, {
      amount: '1,000.00',
      payment_method: await defaultCardOf(erin),
    })
    assert.match(String(paid.flashMessage('success')), /You paid \$1,000\.00/)
    const payments = await paymentsOf(request)
    assert.deepEqual(
      payments.map((row) => row.status),
      ['canceled', 'canceled', 'succeeded']
    )
  }).timeout(60_000)

  test('canceling after the bank confirmed in another tab: Stripe refuses, the payment counts once', async ({
    client,
    assert,
  }) => {
    const { carla, erin, path } = await billed()
    const { payment } = await payWaiting(client, erin, path)
    // Authenticated at the bank in one tab; neither the return nor the webhook has come in
    await throughTheBank(client, erin, payment, 'succeed')

    const canceled = await client
      .post(`/payments/${payment.id}/cancel`)
      .loginAs(erin)
      .withCsrfToken()
      .redirects(0)

    canceled.assertHeader('location', path)
    assert.equal(
      canceled.flashMessage('success'),
      'You paid $1,000.00. Your receipt is below and on its way by email.'
    )
    await payment.refresh()
    assert.equal(payment.status, 'succeeded')
    assert.isNull(payment.pendingAction)
    // The cancel was written and sent; Stripe's state won
    const asked = await PaymentEvent.query()
      .where('paymentId', payment.id)
      .where('type', 'payment.cancel_requested')
    assert.lengthOf(asked, 1)
    const intent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(intent.status, 'succeeded')
    assert.lengthOf(await receiptsSent(), 1)
    assert.deepEqual(await contractorBalance(carla), {
      available: 0,
      pending: 100000 - FEE_ON_1000,
    })
  }).timeout(60_000)

  test('the job finds a confirmation whose return and webhook were lost: recorded, not canceled', async ({
    client,
    assert,
  }) => {
    const { erin, path } = await billed()
    const { payment } = await payWaiting(client, erin, path)
    await throughTheBank(client, erin, payment, 'succeed')

    await advanceSandboxClock(61 * 60)
    await enqueue('send_pending_writes', {})
    await runJobs(['send_pending_writes'])

    await payment.refresh()
    assert.equal(payment.status, 'succeeded')
    const asked = await PaymentEvent.query()
      .where('paymentId', payment.id)
      .where('type', 'payment.cancel_requested')
    assert.lengthOf(asked, 0)
    const page = await client.get(path).loginAs(erin)
    assert.match(page.text(), /data-status="paid"/)
    assert.lengthOf(await receiptsSent(), 1)
  }).timeout(60_000)

  test('the webhook arrives before the employer is back: recorded once, one receipt', async ({
    client,
    assert,
  }) => {
    const { carla, erin, path } = await billed()
    const { payment } = await payWaiting(client, erin, path)
    const back = await throughTheBank(client, erin, payment, 'succeed')

    await deliverEvent(client, 'payment_intent.succeeded', payment.stripePaymentIntentId!)
    await payment.refresh()
    assert.equal(payment.status, 'succeeded')

    const returned = await client.get(back.path).loginAs(erin).redirects(0)
    assert.equal(
      returned.flashMessage('success'),
      'You paid $1,000.00. Your receipt is below and on its way by email.'
    )
    assert.lengthOf(await receiptsSent(), 1)
    assert.lengthOf(await Transfer.query().where('paymentId', payment.id), 1)
    assert.deepEqual(await contractorBalance(carla), {
      available: 0,
      pending: 100000 - FEE_ON_1000,
    })
  }).timeout(60_000)

  test('a failed authentication reported by webhook first: failed once, the balance due back', async ({
    client,
    assert,
  }) => {
    const { erin, path } = await billed()
    const { payment } = await payWaiting(client, erin, path)
    const back = await throughTheBank(client, erin, payment, 'fail')

    await deliverEvent(client, 'payment_intent.payment_failed', payment.stripePaymentIntentId!)
    const returned = await client.get(back.path).loginAs(erin).redirects(0)

    assert.match(String(returned.flashMessage('error')), /was not made/)
    await payment.refresh()
    assert.equal(payment.status, 'failed')
    const failed = await PaymentEvent.query()
      .where('paymentId', payment.id)
      .where('type', 'payment.failed')
    assert.lengthOf(failed, 1)
    const page = await client.get(path).loginAs(erin)
    assert.match(page.text(), /data-figure="balance"><strong>\$1,000\.00/)
  }).timeout(60_000)
})

test.group('Payment requests: 3-D Secure with a saved card', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('the admin cannot authenticate for the cardholder: one-line refusal; the employer can on the page', async ({
    client,
    assert,
  }) => {
    const { erin, request, path } = await billed(null)
    // Erin saves a card that asks for 3-D Secure on every payment (authenticated when saved)
    const setup = await setUpCard(erin, CARD_3DS, randomUUID(), { interactive: true })
    assert.equal(setup.kind, 'authenticate')
    if (setup.kind === 'authenticate') {
      await stripe().rawRequest(
        'POST',
        `/v1/test_helpers/sandbox/setup_intents/${setup.setupIntentId}/authenticate`,
        { outcome: 'succeed' }
      )
      await finishCardAuthentication(erin, setup.setupIntentId)
    }
    const saved = await defaultCardOf(erin)
    const { card } = await stripe().paymentMethods.retrieve(saved)
    const last4 = card?.last4
    assert.equal(last4, '3184')

    const command = await runCommand(PaymentRequestsPay, [
      String(request.id),
      '--amount=250.00',
      '--payment-method=default',
      '--force',
    ])
    command.assertFailed()
    const errors = errorsOf(command)
    assert.lengthOf(errors, 1)
    assert.match(
      errors[0],
      /Payment #\d+ failed: the card's bank asks its holder to authenticate, which cannot be done from the console\. Ask the employer to pay from the link, or use another saved method\./
    )
    const [offSession] = await paymentsOf(request)
    assert.equal(offSession.status, 'failed')
    assert.isFalse(offSession.onSession)
    const offIntent = await stripe().paymentIntents.retrieve(offSession.stripePaymentIntentId!)
    assert.notEqual(offIntent.status, 'requires_action')

    // On the page, the same saved card goes through the bank
    const response = await pay(client, erin, path, { amount: '250.00', payment_method: saved })
    assert.match(String(response.flashMessage('warning')), /Your bank asks you to confirm/)
    const [, onSession] = await paymentsOf(request)
    assert.equal(onSession.status, 'requires_action')
    const back = await throughTheBank(client, erin, onSession, 'succeed')
    const returned = await client.get(back.path).loginAs(erin).redirects(0)
    assert.match(String(returned.flashMessage('success')), /You paid \$250\.00/)
    await onSession.refresh()
    assert.equal(onSession.status, 'succeeded')
    const page = await client.get(path).loginAs(erin)
    assert.match(page.text(), /data-figure="balance"><strong>\$750\.00/)
  }).timeout(60_000)
})
