import { test } from '@japa/runner'
import { readdir, readFile } from 'node:fs/promises'
import app from '@adonisjs/core/services/app'
import type { ApiResponse } from '@japa/api-client'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { followRedirect } from '#tests/helpers/http'
import { createUser } from '#tests/helpers/users'
import {
  advanceSandboxClock,
  createActiveContractor,
  createEmployer,
  stripeIdOf,
  withStripeUnreachable,
} from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { acceptLine } from '#actions/orders/accept_line'
import { deliverLine } from '#actions/orders/deliver_line'
import { forgetBalances } from '#actions/balance/balance_glance'
import { addCard } from '#actions/billing/add_card'
import { CONSOLE_COMMAND_GROUPS } from '#domain/console_commands'
import { actors } from '#domain/actor'
import type PaymentRequest from '#models/payment_request'
import { businessNow } from '#services/clock'
import { createPaymentRequest } from '#actions/payment_requests/create_request'
import { payRequest } from '#actions/payment_requests/pay_request'
import { voidPaymentRequest } from '#actions/payment_requests/void_request'
import { requestLinkPath } from '#actions/payment_requests/request_link'

/** The order links listed under a heading of the home page, as their order ids */
function listedUnder(page: ApiResponse, heading: string) {
  const html = page.text()
  const start = html.indexOf(`<h3>${heading}</h3>`)
  if (start < 0) {
    return null
  }
  const list = html.slice(start, html.indexOf('</ul>', start))
  return [...list.matchAll(/href="\/orders\/(\d+)"/g)].map((match) => Number(match[1]))
}

/** The big figure after a label on the home page ("Available" → "$1.00") */
function figure(page: ApiResponse, label: string) {
  return (
    new RegExp(`<dt>${label}</dt><dd class="figure[^"]*">([^<]*)</dd>`).exec(page.text())?.[1] ??
    null
  )
}

test.group('Homes: the employer', (group) => {
  group.each.setup(() => truncateAllTables())

  test('work to approve, failed payments and recent orders, each once where it belongs', async ({
    client,
    assert,
  }) => {
    // Whatever day the sandbox's business clock says, "recent" is the server's clock
    await advanceSandboxClock(10 * 86_400)
    const carla = await createActiveContractor({ fullName: 'Carla Contractor' })
    const employer = await createEmployer({ fullName: 'Erin Employer' })
    const service = await createService(carla, { title: 'Repaint a room', price: 12000 })
    const delivered = await placeTestOrder(employer, service)
    await acceptLine(delivered.id, null, carla)
    await deliverLine(delivered.id, null, carla)
    const waiting = await placeTestOrder(employer, service)
    const failing = await addCard(employer, 'pm_card_chargeCustomerFail', 'home-failing-card')
    const declined = await placeTestOrder(employer, service, failing.id)
    const unanswered = await withStripeUnreachable(() => placeTestOrder(employer, service))
    const { payment: failedPayment } = await stateOf(declined)
    assert.equal(failedPayment.status, 'failed')
    const { payment: pendingPayment } = await stateOf(unanswered)
    assert.equal(pendingPayment.status, 'pending')
    // Someone else's delivered order is never listed
    const other = await createEmployer()
    const theirs = await placeTestOrder(other, service)
    await acceptLine(theirs.id, null, carla)
    await deliverLine(theirs.id, null, carla)

    const home = await client.get('/').loginAs(employer)
    home.assertStatus(200)
    assert.deepEqual(listedUnder(home, 'Work to approve'), [delivered.id])
    assert.sameMembers(listedUnder(home, 'Payments that did not go through')!, [
      declined.id,
      unanswered.id,
    ])
    assert.isNull(listedUnder(home, 'Payments to authenticate'))
    assert.isNull(listedUnder(home, 'Payment requests to pay'))
    home.assertTextIncludes('Ready for your approval')
    // Recent orders: the latest five of their own, newest first, statuses in plain words
    const recent = home.text().slice(home.text().indexOf('id="recent-orders"'))
    const recentIds = [...recent.matchAll(/href="\/orders\/(\d+)"/g)].map((match) =>
      Number(match[1])
    )
    assert.deepEqual(recentIds, [unanswered.id, declined.id, waiting.id, delivered.id])
    assert.notInclude(home.text(), `/orders/${theirs.id}"`)
    assert.include(recent, 'Waiting for the contractor')
    assert.include(recent, 'Payment failed')
  })

  test('payment requests to pay: addressed to them, what is left now, never paid or void ones', async ({
    client,
    assert,
  }) => {
    const carla = await createActiveContractor({ fullName: 'Carla Contractor' })
    const employer = await createEmployer({ email: 'erin@example.com' })
    const now = await businessNow()
    const due = now.toUTC().plus({ days: 30 }).toISODate()!
    const ask = (description: string, amount: number, employerEmail = 'ERIN@example.com') =>
      createPaymentRequest(carla, {
        employerEmail,
        description,
        amount,
        currency: 'usd',
        dueDate: due,
      })
    const partly = await ask('Deposit for the kitchen', 50000)
    const paid = await ask('Paid in full', 3000)
    const voided = await ask('Canceled quote', 4000)
    await ask('Someone else’s bill', 6000, 'other@example.com')
    const pay = (request: PaymentRequest, amount: number) =>
      payRequest(request, employer, {
        amount,
        method: { kind: 'saved', paymentMethodId: 'default' },
        actor: actors.party('employer', employer.id),
      })
    await pay(partly, 20000)
    await pay(paid, 3000)
    await voidPaymentRequest(voided.id, actors.party('contractor', carla.id))

    const home = await client.get('/').loginAs(employer)
    home.assertStatus(200)
    const html = home.text()
    const start = html.indexOf('<h3>Payment requests to pay</h3>')
    assert.isAbove(start, -1)
    const section = html.slice(start, html.indexOf('</ul>', start))
    const links = [...section.matchAll(/href="(\/pay\/[A-Za-z0-9_-]+)"/g)].map((match) => match[1])
    assert.deepEqual(links, [requestLinkPath(partly)])
    assert.include(section, 'Deposit for the kitchen')
    assert.include(section, 'From Carla Contractor')
    // $500.00 asked, $200.00 paid: $300.00 left
    assert.include(section, '$300.00')
    for (const hidden of ['Paid in full', 'Canceled quote', 'Someone else’s bill']) {
      assert.notInclude(html, hidden)
    }
  })

  test('a new employer is told what to do next', async ({ client }) => {
    const employer = await createUser({ role: 'employer' })
    const home = await client.get('/').loginAs(employer)
    home.assertTextIncludes('Nothing needs you right now.')
    home.assertTextIncludes('You have not ordered anything yet.')
    home.assertTextIncludes('<a href="/services">Browse services</a>')
  })
})

test.group('Homes: the contractor', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    forgetBalances()
  })

  test('new orders to accept and work to deliver, never orders still waiting for their payment', async ({
    client,
    assert,
  }) => {
    const carla = await createActiveContractor({ fullName: 'Carla Contractor' })
    const employer = await createEmployer({ fullName: 'Erin Employer' })
    const service = await createService(carla, { title: 'Repaint a room', price: 12000 })
    const fresh = await placeTestOrder(employer, service)
    const started = await placeTestOrder(employer, service)
    await acceptLine(started.id, null, carla)
    const done = await placeTestOrder(employer, service)
    await acceptLine(done.id, null, carla)
    await deliverLine(done.id, null, carla)
    const unpaid = await withStripeUnreachable(() => placeTestOrder(employer, service))

    const home = await client.get('/').loginAs(carla)
    home.assertStatus(200)
    assert.deepEqual(listedUnder(home, 'New orders to accept'), [fresh.id])
    assert.deepEqual(listedUnder(home, 'Work to deliver'), [started.id])
    assert.equal(figure(home, 'New orders'), '1')
    assert.equal(figure(home, 'To deliver'), '1')
    assert.equal(figure(home, 'Awaiting approval'), '1')
    home.assertTextIncludes('New request: accept or decline')
    // An order whose payment Stripe never confirmed is not theirs to accept yet
    assert.notInclude(listedUnder(home, 'New orders to accept')!, unpaid.id)
    // Onboarded: no onboarding call to action
    assert.notInclude(home.text(), 'Continue onboarding')
  })

  test('a new contractor sees where onboarding stands, without a call to Stripe', async ({
    client,
  }) => {
    const contractor = await createUser({ role: 'contractor' })
    const home = await withStripeUnreachable(() => client.get('/').loginAs(contractor))
    home.assertStatus(200)
    home.assertTextIncludes('Get paid: finish onboarding')
    home.assertTextIncludes('data-status="setting_up"')
    home.assertTextIncludes('<a class="button" href="/onboarding">Continue onboarding</a>')
    home.assertTextIncludes('Your payment account is being set up.')
    home.assertTextIncludes('Nothing needs you right now.')
  })

  test('the balance at a glance is kept a minute, and the balance page refreshes it', async ({
    client,
    assert,
  }) => {
    const carla = await createActiveContractor()

    const first = await client.get('/').loginAs(carla)
    assert.equal(figure(first, 'Pending'), '$0.00')
    first.assertTextIncludes('You are paid when an employer approves work you delivered.')

    // Money arrives on Stripe: the home page does not ask Stripe again within the minute…
    const destination = await stripeIdOf(carla)
    await stripe().paymentIntents.create({
      amount: 10000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      allowed_payment_method_types: ['card'],
      application_fee_amount: 1000,
      transfer_data: { destination },
    })
    const cached = await withStripeUnreachable(() => client.get('/').loginAs(carla))
    assert.equal(figure(cached, 'Pending'), '$0.00')

    // …the balance page reads Stripe, and home shows what it read
    const balance = await client.get('/balance').loginAs(carla)
    balance.assertTextIncludes('$90.00')
    const after = await withStripeUnreachable(() => client.get('/').loginAs(carla))
    assert.equal(figure(after, 'Pending'), '$90.00')
    assert.equal(figure(after, 'Available'), '$0.00')
  })
})

test.group('Homes: the admin and deep links', (group) => {
  group.each.setup(() => truncateAllTables())

  test('an admin is told to work from the console, with every command', async ({
    client,
    assert,
  }) => {
    const admin = await createUser({ role: 'admin' })
    const home = await client.get('/').loginAs(admin)
    home.assertStatus(200)
    home.assertTextIncludes('You work from the console')

    const entries = await readdir(app.makePath('commands'))
    const files = entries.filter((file) => file.endsWith('.ts'))
    const names = await Promise.all(
      files.map(async (file) => {
        const source = await readFile(app.makePath('commands', file), 'utf8')
        return /static commandName = '([^']+)'/.exec(source)?.[1]
      })
    )
    const listed = CONSOLE_COMMAND_GROUPS.flatMap((commands) =>
      commands.commands.map((command) => command.name)
    )
    assert.sameMembers(listed, names.filter(Boolean) as string[])
    for (const name of listed) {
      home.assertTextIncludes(`data-command="${name}"`)
    }

    const forbidden = await client.get('/orders').loginAs(admin)
    forbidden.assertStatus(403)
    forbidden.assertTextIncludes('Admins work from the console')
  })

  test('a guest who opens an order is asked to log in once, then lands on it', async ({
    client,
    assert,
  }) => {
    const carla = await createActiveContractor()
    const employer = await createEmployer({
      email: 'erin@example.com',
      password: 'hire-people-2026',
    })
    const order = await placeTestOrder(employer, await createService(carla))

    const guest = await client.get(`/orders/${order.id}?from=mail`).redirects(0)
    guest.assertStatus(302)
    guest.assertHeader('location', '/login')
    const login = await followRedirect(client, guest)
    const message = 'Log in to see this page.'
    assert.equal(login.text().split(message).length - 1, 1)
    assert.notInclude(login.text(), 'Unauthorized access')

    const loggedIn = await client
      .post('/login')
      .withSession(guest.session())
      .withCsrfToken()
      .form({ email: 'erin@example.com', password: 'hire-people-2026' })
      .redirects(0)
    loggedIn.assertHeader('location', `/orders/${order.id}?from=mail`)

    // Used once: the next login goes home
    const again = await client
      .post('/login')
      .withSession(loggedIn.session())
      .withCsrfToken()
      .form({ email: 'erin@example.com', password: 'hire-people-2026' })
      .redirects(0)
    again.assertHeader('location', '/')
  })

  test('a form posted by a guest is not replayed after login', async ({ client }) => {
    const guest = await client.post('/orders/1/approve').withCsrfToken().redirects(0)
    guest.assertHeader('location', '/login')
    await createEmployer({ email: 'erin@example.com', password: 'hire-people-2026' })
    const loggedIn = await client
      .post('/login')
      .withSession(guest.session())
      .withCsrfToken()
      .form({ email: 'erin@example.com', password: 'hire-people-2026' })
      .redirects(0)
    loggedIn.assertHeader('location', '/')
  })
})
