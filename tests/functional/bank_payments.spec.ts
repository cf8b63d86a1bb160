import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import ace from '@adonisjs/core/services/ace'
import type { ApiClient } from '@japa/api-client'
import type User from '#models/user'
import Order from '#models/order'
import type Service from '#models/service'
import PaymentEvent from '#models/payment_event'
import Refund from '#models/refund'
import type BankAccount from '#models/bank_account'
import OrdersRefund from '#commands/orders_refund'
import OrdersShow from '#commands/orders_show'
import StripeReconcile from '#commands/stripe_reconcile'
import { stripe } from '#stripe/client'
import { enqueue } from '#services/queue'
import { businessDaysAfter } from '#actions/payments/record_payment_intent'
import { followDueBankPayments } from '#actions/payments/follow_bank_payments'
import { truncateAllTables } from '#tests/helpers/database'
import { runJobs } from '#tests/helpers/jobs'
import { fakeMail } from '#tests/helpers/mail'
import {
  advanceSandboxClock,
  createActiveContractor,
  createEmployer,
  defaultCardOf,
  signedWebhook,
  stripeIdOf,
} from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { addTestBankAccount, addVerifiedBankAccount } from '#tests/helpers/bank_accounts'
import { outputOf, runCommand } from '#tests/functional/console_helpers'

const DAY = 86_400
/** Longer than any 4-business-day debit, weekends included */
const CLEARED = 7 * DAY

/** A contractor with a $120.00 service, an employer with a card (the default) and a verified bank account */
async function marketplace() {
  const contractor = await createActiveContractor({ fullName: 'Carla Contractor' })
  const employer = await createEmployer({ fullName: 'Erin Employer' })
  const service = await createService(contractor, { price: 12000, currency: 'usd' })
  const bank = await addVerifiedBankAccount(employer)
  return { contractor, employer, service, bank }
}

function order(client: ApiClient, employer: User, service: Service, paymentMethod: string) {
  return client
    .post('/orders')
    .loginAs(employer)
    .withCsrfToken()
    .form({ service_id: service.id, payment_method: paymentMethod })
    .redirects(0)
}

function lineAction(
  client: ApiClient,
  user: User,
  orderId: number,
  lineId: number,
  action: 'accept' | 'deliver' | 'approve'
) {
  return client
    .post(`/orders/${orderId}/lines/${lineId}/${action}`)
    .loginAs(user)
    .withCsrfToken()
    .redirects(0)
}

async function transfersTo(contractor: User) {
  const list = await stripe().transfers.list({ destination: await stripeIdOf(contractor) })
  return list.data
}

/** The webhook Stripe sent about this object, delivered to the app as Stripe would */
async function deliverEvent(client: ApiClient, type: string, objectId: string) {
  const events = await stripe().events.list({ type, limit: 100 })
  const event = events.data.find(
    (candidate) => (candidate.data.object as { id: string }).id === objectId
  )
  if (!event) {
    throw new Error(`No ${type} event for ${objectId}`)
  }
  const { payload, signature } = signedWebhook(event as never)
  return client
    .post('/stripe/webhook')
    .header('stripe-signature', signature)
    .header('content-type', 'application/json')
    .json(JSON.parse(payload))
}

test.group('Paying by bank', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a verified bank account is offered at checkout and on the service page; an unverified one is not', async ({
    client,
    assert,
  }) => {
    const { employer, service, bank } = await marketplace()
    const waiting = await addTestBankAccount(employer, '000123456780')

    const servicePage = await client.get(`/services/${service.id}`).loginAs(employer)
    await client
      .post('/cart/items')
      .loginAs(employer)
      .withCsrfToken()
      .form({ service_id: service.id })
    const cart = await client.get('/cart').loginAs(employer)

    for (const page of [servicePage, cart]) {
      page.assertTextIncludes('<optgroup label="Bank accounts">')
      page.assertTextIncludes(
        `<option value="${bank.stripePaymentMethodId}" >STRIPE TEST BANK ···· 6789 (bank debit)</option>`
      )
      page.assertTextIncludes('Visa ···· 4242 (default)')
      assert.notInclude(page.text(), waiting.stripePaymentMethodId!)
      page.assertTextIncludes('clears in about 4 business days')
    }
  })

  test('processing, with the date it should clear; the contractor may start; paid only once it clears', async ({
    client,
    assert,
  }) => {
    const { contractor, employer, service, bank } = await marketplace()

    const response = await order(client, employer, service, bank.stripePaymentMethodId!)

    const placed = await Order.firstOrFail()
    response.assertHeader('location', `/orders/${placed.id}`)
    assert.equal(
      response.flashMessage('success'),
      'Your bank payment of $120.00 is processing: it usually takes 4 business days.'
    )
    const { line, payment } = await stateOf(placed)
    assert.equal(payment.methodType, 'us_bank_account')
    assert.equal(payment.flow, 'charge')
    assert.equal(payment.status, 'processing')
    assert.isFalse(payment.onSession)
    // The date Stripe's clock gives: 4 business days after the debit started
    const charge = await stripe().charges.retrieve(payment.stripeChargeId!)
    assert.equal(
      payment.expectedAt!.toMillis(),
      businessDaysAfter(DateTime.fromSeconds(charge.created, { zone: 'utc' }), 4).toMillis()
    )
    // Charged at once on the platform, under the mandate the employer accepted
    const paymentIntent = await stripe().paymentIntents.retrieve(payment.stripePaymentIntentId!)
    assert.equal(paymentIntent.capture_method, 'automatic')
    assert.deepEqual(paymentIntent.payment_method_types, ['us_bank_account'])
    assert.equal(paymentIntent.transfer_group, `order_${placed.id}`)
    assert.isNull(paymentIntent.transfer_data)
    assert.equal(charge.payment_method_details?.us_bank_account?.mandate, bank.stripeMandateId)

    const employerPage = await client.get(`/orders/${placed.id}`).loginAs(employer)
    employerPage.assertTextIncludes('Payment processing — usually 4 business days')
    employerPage.assertTextIncludes('Bank debit from STRIPE TEST BANK ···· 6789')
    employerPage.assertTextIncludes('Expected to clear')
    const contractorPage = await client.get(`/orders/${placed.id}`).loginAs(contractor)
    assert.match(contractorPage.text(), /employer(&#x27;|&#39;|')s bank payment has not cleared/)

    // The contractor accepts and delivers; the employer approves: nothing is sent yet
    const accepted = await lineAction(client, contractor, placed.id, line.id, 'accept')
    accepted.assertStatus(302)
    assert.isUndefined(accepted.flashMessage('error'))
    const delivered = await lineAction(client, contractor, placed.id, line.id, 'deliver')
    assert.isUndefined(delivered.flashMessage('error'))
    const approved = await lineAction(client, employer, placed.id, line.id, 'approve')
    assert.equal(
      approved.flashMessage('success'),
      'Work approved: the contractor is paid as soon as your payment clears.'
    )
    const before = await stateOf(placed)
    assert.equal(before.line.status, 'approved')
    assert.lengthOf(before.transfers, 0)
    assert.lengthOf(await transfersTo(contractor), 0)
    const stillProcessing = await client.get(`/orders/${placed.id}`).loginAs(contractor)
    stillProcessing.assertTextIncludes('Approved: paid once the bank payment clears')
    // Before its date, the job leaves it alone
    await enqueue('follow_bank_payments', {})
    await runJobs(['follow_bank_payments'])
    const notYet = await stateOf(placed)
    assert.equal(notYet.payment.status, 'processing')

    // It clears: the approved line's transfer goes at once
    await advanceSandboxClock(CLEARED)
    await enqueue('follow_bank_payments', {})
    const ran = await runJobs(['follow_bank_payments'])

    assert.equal(ran.failed, 0)
    const after = await stateOf(placed)
    assert.equal(after.payment.status, 'succeeded')
    assert.equal(after.payment.amountCaptured, 12000)
    // Stripe's ACH fee: 0.8%
    assert.equal(after.payment.stripeFee, 96)
    assert.lengthOf(after.transfers, 1)
    assert.equal(after.transfers[0].status, 'paid')
    assert.equal(after.transfers[0].amount, 10800)
    const [sent] = await transfersTo(contractor)
    assert.equal(sent.amount, 10800)
    assert.equal(sent.source_transaction, payment.stripeChargeId)
    assert.equal(sent.transfer_group, `order_${placed.id}`)
    const paid = await client.get(`/orders/${placed.id}`).loginAs(contractor)
    paid.assertTextIncludes('Paid')
    assert.notMatch(paid.text(), /has not cleared/)
  })

  test('every failing test account fails the order with the bank’s reason, in plain words', async ({
    client,
    assert,
  }) => {
    const { contractor, employer, service } = await marketplace()
    const mails = fakeMail()
    const cases = [
      ['000111111113', 'account_closed', 'The bank account is closed.'],
      ['000111111116', 'no_account', 'The bank could not find this account'],
      ['000222222227', 'insufficient_funds', 'did not have enough money for this payment'],
      ['000333333335', 'debit_not_authorized', 'told their bank they did not authorize this debit'],
      ['000444444440', 'invalid_currency', 'cannot be debited in this currency'],
    ] as const
    const orders: { order: Order; code: string; message: string; bank: BankAccount }[] = []
    for (const [accountNumber, code, message] of cases) {
      const bank = await addVerifiedBankAccount(employer, accountNumber)
      const placed = await placeTestOrder(employer, service, bank.stripePaymentMethodId!)
      const { payment } = await stateOf(placed)
      assert.equal(payment.status, 'processing', accountNumber)
      orders.push({ order: placed, code, message, bank })
    }

    await advanceSandboxClock(CLEARED)
    const followed = await followDueBankPayments()

    assert.lengthOf(followed, cases.length)
    await runJobs(['send_notification'])
    for (const { order: failed, code, message, bank } of orders) {
      const { payment, line, transfers } = await stateOf(failed)
      assert.equal(payment.status, 'failed', code)
      assert.equal(payment.failureCode, code)
      assert.include(payment.failureMessage!, message, code)
      assert.equal(line.status, 'canceled', code)
      assert.lengthOf(transfers, 0, code)

      const employerPage = await client.get(`/orders/${failed.id}`).loginAs(employer)
      employerPage.assertTextIncludes('Payment failed')
      employerPage.assertTextIncludes(message)
      employerPage.assertTextIncludes(`action="/orders/${failed.id}/pay-again"`)
      const contractorPage = await client.get(`/orders/${failed.id}`).loginAs(contractor)
      contractorPage.assertTextIncludes('Payment failed')
      assert.match(contractorPage.text(), /payment failed: this order is canceled/)

      const toEmployer = mails
        .sent()
        .filter(
          (sent) => sent.message === 'payment_failed' && sent.subject.includes(`#${failed.id} `)
        )
      assert.lengthOf(toEmployer, 1, code)
      assert.deepEqual(toEmployer[0].to, [employer.email])
      assert.include(toEmployer[0].text, message)
      assert.include(toEmployer[0].text, `STRIPE TEST BANK ···· ${bank.last4}`)
      const toContractor = mails
        .sent()
        .filter(
          (sent) =>
            sent.message === 'order_payment_failed' && sent.subject.includes(`#${failed.id} `)
        )
      assert.lengthOf(toContractor, 1, code)
      assert.deepEqual(toContractor[0].to, [contractor.email])
    }
    assert.lengthOf(await transfersTo(contractor), 0)
  })

  test('a failure after the contractor delivered (and the employer approved) cancels the work; nothing is paid', async ({
    client,
    assert,
  }) => {
    const { contractor, employer } = await marketplace()
    const services = [
      await createService(contractor, { title: 'Paint the hall', price: 12000 }),
      await createService(contractor, { title: 'Paint the door', price: 5000 }),
    ]
    const mails = fakeMail()
    const bank = await addVerifiedBankAccount(employer, '000222222227')
    const placed = await placeTestOrder(employer, services, bank.stripePaymentMethodId!)
    const { lines } = await stateOf(placed)
    for (const line of lines) {
      await lineAction(client, contractor, placed.id, line.id, 'accept')
      await lineAction(client, contractor, placed.id, line.id, 'deliver')
    }
    await lineAction(client, employer, placed.id, lines[0].id, 'approve')
    const before = await stateOf(placed)
    assert.deepEqual(
      before.lines.map((line) => line.status),
      ['approved', 'delivered']
    )

    await advanceSandboxClock(CLEARED)
    await followDueBankPayments()
    await runJobs(['send_notification'])

    const after = await stateOf(placed)
    assert.equal(after.payment.status, 'failed')
    assert.deepEqual(
      after.lines.map((line) => line.status),
      ['canceled', 'canceled']
    )
    assert.lengthOf(after.transfers, 0)
    assert.lengthOf(await transfersTo(contractor), 0)
    const cancellations = await PaymentEvent.query()
      .where('orderId', placed.id)
      .where('type', 'line.canceled')
    assert.lengthOf(cancellations, 2)
    assert.isTrue(cancellations.every((event) => event.actor === 'system:follow_bank_payments'))
    const [told] = mails.sent().filter((sent) => sent.message === 'order_payment_failed')
    assert.include(told.text, 'you had already delivered this work')
    assert.include(told.subject, `Order #${placed.id} is canceled`)
    // The employer's approval button is gone, the contractor's deliver too
    const page = await client.get(`/orders/${placed.id}`).loginAs(employer)
    assert.notInclude(page.text(), '/approve"')
    page.assertTextIncludes('Canceled: payment failed')
  })

  test('the webhook and a page reload at the same moment record the outcome once', async ({
    client,
    assert,
  }) => {
    const { contractor, employer, service, bank } = await marketplace()
    const mails = fakeMail()
    const placed = await placeTestOrder(employer, service, bank.stripePaymentMethodId!)
    const { line, payment } = await stateOf(placed)
    await lineAction(client, contractor, placed.id, line.id, 'accept')
    await lineAction(client, contractor, placed.id, line.id, 'deliver')
    await lineAction(client, employer, placed.id, line.id, 'approve')
    await advanceSandboxClock(CLEARED)

    // Stripe's webhook is applied while the employer and the contractor reload the page
    const [delivered] = await Promise.all([
      deliverEvent(client, 'payment_intent.succeeded', payment.stripePaymentIntentId!).then(
        async (response) => {
          await runJobs(['apply_stripe_event'])
          return response
        }
      ),
      client.get(`/orders/${placed.id}`).loginAs(employer),
      client.get(`/orders/${placed.id}`).loginAs(contractor),
      client.get(`/orders/${placed.id}`).loginAs(employer),
    ])

    delivered.assertStatus(200)
    const after = await stateOf(placed)
    assert.equal(after.payment.status, 'succeeded')
    assert.lengthOf(after.transfers, 1)
    assert.lengthOf(await transfersTo(contractor), 1)
    const succeeded = await PaymentEvent.query()
      .where('paymentId', payment.id)
      .where('type', 'payment.succeeded')
    assert.lengthOf(succeeded, 1)
    const paidOut = await PaymentEvent.query()
      .where('orderId', placed.id)
      .where('type', 'transfer.paid')
    assert.lengthOf(paidOut, 1)
    // The older "processing" event arriving late (out of order) changes nothing
    const late = await deliverEvent(
      client,
      'payment_intent.processing',
      payment.stripePaymentIntentId!
    )
    late.assertStatus(200)
    await runJobs(['apply_stripe_event'])
    const still = await stateOf(placed)
    assert.equal(still.payment.status, 'succeeded')
    assert.lengthOf(still.transfers, 1)
    await runJobs(['send_notification'])
    assert.lengthOf(
      mails.sent().filter((sent) => sent.message === 'payment_failed'),
      0
    )
  })

  test('a reload after the expected date shows the outcome even with no webhook', async ({
    client,
    assert,
  }) => {
    const { employer, service } = await marketplace()
    const bank = await addVerifiedBankAccount(employer, '000111111113')
    const placed = await placeTestOrder(employer, service, bank.stripePaymentMethodId!)
    await advanceSandboxClock(CLEARED)

    const page = await client.get(`/orders/${placed.id}`).loginAs(employer)

    page.assertTextIncludes('Payment failed')
    page.assertTextIncludes('The bank account is closed.')
    const { payment } = await stateOf(placed)
    assert.equal(payment.status, 'failed')
  })

  test('a bank payment is refunded from the console like any other (orders:refund)', async ({
    client,
    assert,
  }) => {
    const { contractor, employer, service, bank } = await marketplace()
    const placed = await placeTestOrder(employer, service, bank.stripePaymentMethodId!)
    const { line, payment } = await stateOf(placed)
    await lineAction(client, contractor, placed.id, line.id, 'accept')
    await lineAction(client, contractor, placed.id, line.id, 'deliver')
    await lineAction(client, employer, placed.id, line.id, 'approve')
    await advanceSandboxClock(CLEARED)
    await followDueBankPayments()
    // The contractor's share comes back from their available balance: let it become available
    await advanceSandboxClock(3 * DAY)
    ace.ui.switchMode('raw')
    let command
    try {
      command = await runCommand(OrdersRefund, [
        String(placed.id),
        `--line=${line.id}`,
        '--reason=requested_by_customer',
        '--force',
      ])
    } finally {
      ace.ui.switchMode('normal')
    }

    command.assertSucceeded()
    const refunds = await Refund.query().where('paymentId', payment.id)
    assert.lengthOf(refunds, 1)
    assert.equal(refunds[0].status, 'succeeded')
    assert.equal(refunds[0].amount, 12000)
    const onStripe = await stripe().refunds.retrieve(refunds[0].stripeRefundId!)
    assert.equal(onStripe.amount, 12000)
    assert.equal(onStripe.payment_intent, payment.stripePaymentIntentId)
    const after = await stateOf(placed)
    assert.equal(after.payment.status, 'refunded')
    assert.equal(after.payment.amountRefunded, 12000)
    assert.equal(after.transfers[0].amountReversed, 10800)
  })

  test('JPY (or EUR) cannot be paid by bank: a clear message, nothing written', async ({
    client,
    assert,
  }) => {
    const { contractor, employer, bank } = await marketplace()
    for (const [currency, price] of [
      ['jpy', 12000],
      ['eur', 9000],
    ] as const) {
      const service = await createService(contractor, { price, currency })
      const response = await order(client, employer, service, bank.stripePaymentMethodId!)
      response.assertStatus(302)
      assert.equal(
        response.flashMessage('error'),
        `Bank debits are in US dollars only, and this order is in ${currency.toUpperCase()}. Pay it by card instead.`
      )
      // The service page does not offer the bank account, and says why
      const page = await client.get(`/services/${service.id}`).loginAs(employer)
      assert.notInclude(page.text(), `value="${bank.stripePaymentMethodId}"`)
      page.assertTextIncludes(
        `Bank debits are in US dollars only: this is priced in ${currency.toUpperCase()}`
      )
    }
    assert.lengthOf(await Order.all(), 0)
    const intents = await stripe().paymentIntents.list({ customer: await stripeIdOf(employer) })
    assert.lengthOf(intents.data, 0)
  })

  test('an unverified or removed bank account, or another employer’s, cannot pay', async ({
    client,
    assert,
  }) => {
    const { employer, service } = await marketplace()
    const other = await createEmployer()
    const theirs = await addVerifiedBankAccount(other, '000123456780')
    const waiting = await addTestBankAccount(employer, '000123456781')

    const unverified = await order(client, employer, service, waiting.stripePaymentMethodId!)
    assert.match(String(unverified.flashMessage('error')), /is not verified yet/)
    const gone = await addVerifiedBankAccount(employer, '000123456782')
    await client.delete(`/bank-accounts/${gone.id}`).loginAs(employer).withCsrfToken()
    const removed = await order(client, employer, service, gone.stripePaymentMethodId!)
    assert.equal(
      removed.flashMessage('error'),
      'Choose one of your saved cards or verified bank accounts.'
    )
    const stolen = await order(client, employer, service, theirs.stripePaymentMethodId!)
    assert.equal(
      stolen.flashMessage('error'),
      'Choose one of your saved cards or verified bank accounts.'
    )
    assert.lengthOf(await Order.all(), 0)
  })
})

test.group('Paying again after a failed payment', (group) => {
  group.each.setup(() => truncateAllTables())

  test('places the same services again with another payment method, once', async ({
    client,
    assert,
  }) => {
    const { contractor, employer } = await marketplace()
    const services = [
      await createService(contractor, { title: 'Paint the hall', price: 12000 }),
      await createService(contractor, { title: 'Paint the door', price: 5000 }),
    ]
    const bank = await addVerifiedBankAccount(employer, '000111111113')
    const failed = await placeTestOrder(employer, services, bank.stripePaymentMethodId!)
    await advanceSandboxClock(CLEARED)
    await followDueBankPayments()
    const card = await defaultCardOf(employer)

    const page = await client.get(`/orders/${failed.id}`).loginAs(employer)
    page.assertTextIncludes('Pay again $170.00')
    const response = await client
      .post(`/orders/${failed.id}/pay-again`)
      .loginAs(employer)
      .withCsrfToken()
      .form({ payment_method: card })
      .redirects(0)

    const replacement = await Order.query().where('replacesOrderId', failed.id).firstOrFail()
    response.assertHeader('location', `/orders/${replacement.id}`)
    const placed = await stateOf(replacement)
    assert.equal(placed.order.total, 17000)
    assert.deepEqual(
      placed.lines.map((line) => [line.serviceId, line.status]),
      services.map((service) => [service.id, 'requested'])
    )
    assert.equal(placed.payment.methodType, 'card')
    assert.equal(placed.payment.status, 'succeeded')
    // The failed order stays as it was, and says where it was paid again
    const old = await stateOf(failed)
    assert.equal(old.payment.status, 'failed')
    assert.isTrue(old.lines.every((line) => line.status === 'canceled'))
    const oldPage = await client.get(`/orders/${failed.id}`).loginAs(employer)
    oldPage.assertTextIncludes(`You paid again: <a href="/orders/${replacement.id}">`)
    assert.notInclude(oldPage.text(), '/pay-again"')
    const newPage = await client.get(`/orders/${replacement.id}`).loginAs(employer)
    newPage.assertTextIncludes(
      `pays again for <a href="/orders/${failed.id}">order #${failed.id}</a>`
    )

    // A second time is refused, and another employer cannot
    const again = await client
      .post(`/orders/${failed.id}/pay-again`)
      .loginAs(employer)
      .withCsrfToken()
      .form({ payment_method: card })
      .redirects(0)
    assert.equal(
      again.flashMessage('error'),
      `Order #${failed.id} was already paid again as order #${replacement.id}.`
    )
    const other = await createEmployer()
    const foreign = await client
      .post(`/orders/${failed.id}/pay-again`)
      .loginAs(other)
      .withCsrfToken()
      .form({})
      .redirects(0)
    foreign.assertStatus(404)
    assert.lengthOf(await Order.all(), 2)
  })

  test('an order whose payment did not fail cannot be paid again', async ({ client, assert }) => {
    const { employer, service } = await marketplace()
    const placed = await placeTestOrder(employer, service)
    const response = await client
      .post(`/orders/${placed.id}/pay-again`)
      .loginAs(employer)
      .withCsrfToken()
      .form({})
      .redirects(0)
    assert.equal(
      response.flashMessage('error'),
      `Order #${placed.id} has no failed payment to pay again.`
    )
    assert.lengthOf(await Order.all(), 1)
  })
})

test.group('Bank payments in the console', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('orders:show shows the method and the processing state', async ({ assert }) => {
    const { employer, service, bank } = await marketplace()
    const placed = await placeTestOrder(employer, service, bank.stripePaymentMethodId!)
    const { payment } = await stateOf(placed)

    const command = await runCommand(OrdersShow, [String(placed.id)])

    command.assertSucceeded()
    const rows = outputOf(command)
    assert.includeMembers(rows, [
      `Payment #${payment.id}|processing (charge, us_bank_account)`,
      'Method|Bank debit from STRIPE TEST BANK ···· 6789',
      'Status|Payment processing — usually 4 business days',
    ])
    assert.isTrue(rows.some((row) => row.startsWith('Expected to clear|20')))
    const json = await runCommand(OrdersShow, [String(placed.id), '--json'])
    const shown = JSON.parse(outputOf(json)[0])
    assert.equal(shown.payments[0].method, 'Bank debit from STRIPE TEST BANK ···· 6789')
    assert.equal(shown.payments[0].status, 'processing')
  })

  test('stripe:reconcile follows a processing payment to its outcome', async ({ assert }) => {
    const { contractor, employer, service, bank } = await marketplace()
    const cleared = await placeTestOrder(employer, service, bank.stripePaymentMethodId!)
    const closed = await addVerifiedBankAccount(employer, '000111111113')
    const returned = await placeTestOrder(employer, service, closed.stripePaymentMethodId!)
    await advanceSandboxClock(CLEARED)

    const report = await runCommand(StripeReconcile, ['--fix', '--force'])

    report.assertSucceeded()
    const paid = await stateOf(cleared)
    assert.equal(paid.payment.status, 'succeeded')
    const failed = await stateOf(returned)
    assert.equal(failed.payment.status, 'failed')
    assert.equal(failed.line.status, 'canceled')
    assert.equal(failed.payment.failureMessage, 'The bank account is closed.')
    assert.lengthOf(await transfersTo(contractor), 0)
  })
})
