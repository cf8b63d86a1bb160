import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import hash from '@adonisjs/core/services/hash'
import User from '#models/user'
import Service from '#models/service'
import Order from '#models/order'
import Payment from '#models/payment'
import PaymentRequest from '#models/payment_request'
import UserProfile from '#models/user_profile'
import { notify } from '#mails/notify'
import { actors } from '#domain/actor'
import { truncateAllTables } from '#tests/helpers/database'
import { followRedirect } from '#tests/helpers/http'
import { fakeMail, type SentMail } from '#tests/helpers/mail'
import { runJobs } from '#tests/helpers/jobs'
import { createUser } from '#tests/helpers/users'
import { Browser, useDatabaseSessions } from '#tests/helpers/sessions'
import { createActiveContractor, createEmployer, stripeIdOf } from '#tests/helpers/stripe'
import { createService, placeTestOrder } from '#tests/helpers/orders'
import { acceptLine } from '#actions/orders/accept_line'
import { deliverLine } from '#actions/orders/deliver_line'
import { approveLines } from '#actions/orders/approve_line'
import { stripe } from '#stripe/client'
import { businessNow } from '#services/clock'

/** The link a mail to `to` carries, as a path */
function linkIn(mails: { sent(): SentMail[] }, to: string) {
  const mail = mails.sent().find((sent) => sent.to.includes(to))
  if (!mail) {
    throw new Error(`No mail to ${to}`)
  }
  const match = /http:\/\/[^/\s]+(\/settings\/email\/confirm\/[A-Za-z0-9_-]+)/.exec(mail.text)
  if (!match) {
    throw new Error(`No confirmation link in the mail to ${to}`)
  }
  return match[1]
}

test.group('Settings: name and time zone', (group) => {
  group.each.setup(() => truncateAllTables())

  test('the name and the time zone are saved, and every time is shown in that zone', async ({
    client,
    assert,
  }) => {
    const carla = await createActiveContractor()
    const employer = await createEmployer({ fullName: 'Erin Employer' })
    const order = await placeTestOrder(employer, await createService(carla))

    const saved = await client
      .post('/settings/profile')
      .loginAs(employer)
      .withCsrfToken()
      .form({ full_name: 'Erin Q. Employer', time_zone: 'Asia/Tokyo' })
      .redirects(0)
    saved.assertHeader('location', '/settings')
    assert.equal(saved.flashMessage('success'), 'Saved. Times are now shown in Asia/Tokyo.')
    await employer.refresh()
    assert.equal(employer.fullName, 'Erin Q. Employer')
    assert.equal(employer.timeZone, 'Asia/Tokyo')

    const page = await client.get(`/orders/${order.id}`).loginAs(employer)
    const tokyo = order.createdAt.setZone('Asia/Tokyo').toFormat('LLL d, yyyy, HH:mm')
    page.assertTextIncludes(`${tokyo} GMT+9`)
    assert.notInclude(page.text(), ' UTC<')

    // Another user's pages keep their own zone
    const theirs = await client.get(`/orders/${order.id}`).loginAs(carla)
    theirs.assertTextIncludes(`${order.createdAt.toUTC().toFormat('LLL d, yyyy, HH:mm')} UTC`)
  })

  test('refuses a time zone that does not exist, beside its field', async ({ client, assert }) => {
    const user = await createUser({ role: 'employer', fullName: 'Ada Lovelace' })
    const refused = await client
      .post('/settings/profile')
      .loginAs(user)
      .withCsrfToken()
      .header('referer', '/settings')
      .form({ full_name: 'Ada', time_zone: 'Mars/Olympus_Mons' })
      .redirects(0)
    assert.deepEqual(refused.flashMessage('inputErrorsBag'), {
      time_zone: ['Choose a time zone from the list.'],
    })
    await user.refresh()
    assert.equal(user.timeZone, 'UTC')
    assert.equal(user.fullName, 'Ada Lovelace')
    const page = await followRedirect(client, refused).loginAs(user)
    page.assertTextIncludes('aria-invalid="true" autofocus')
    page.assertTextIncludes('aria-describedby="time_zone-hint time_zone-error"')
    page.assertTextIncludes('<small class="error-text" id="time_zone-error">')
  })

  test("signup keeps the browser's time zone; an unknown one means UTC", async ({
    client,
    assert,
  }) => {
    for (const [email, zone, expected] of [
      ['ada@example.com', 'Europe/Paris', 'Europe/Paris'],
      ['bob@example.com', 'Asia/Kolkata', 'Asia/Kolkata'],
      ['cy@example.com', 'Nowhere/Special', 'UTC'],
      ['di@example.com', '', 'UTC'],
    ]) {
      await client
        .post('/signup')
        .withCsrfToken()
        .form({
          full_name: 'Someone',
          email,
          password: 'a-good-password-2026',
          role: 'employer',
          time_zone: zone,
        })
        .redirects(0)
      const user = await User.findByOrFail('email', email)
      assert.equal(user.timeZone, expected, email)
    }
  })

  test("mail shows times in the recipient's zone", async ({ assert }) => {
    const mails = fakeMail()
    const user = await createUser({ email: 'ada@example.com' })
    user.timeZone = 'America/New_York'
    await user.save()
    await db.transaction((trx) =>
      notify(trx, {
        key: 'test:delivered',
        to: { userId: user.id },
        message: 'order_delivered',
        data: {
          orderId: 42,
          title: 'Kitchen repaint',
          amount: 12000,
          currency: 'usd',
          contractorName: 'Carla',
          approveBy: '2026-11-27T14:30:00Z',
          policy: 'capture',
        },
      })
    )
    await runJobs(['send_notification'])
    const [sent] = mails.sent()
    assert.equal(sent.subject, 'Order #42 was delivered: approve by Nov 27, 2026, 09:30 EST')
  })
})

test.group('Settings: email', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a new email takes effect once the link mailed to it is opened, and the old one is told', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    const user = await createUser({ email: 'ada@example.com', password: 'analytical-engine-1843' })

    const asked = await client
      .post('/settings/email')
      .loginAs(user)
      .withCsrfToken()
      .form({ email: 'Ada@New.Example.com', password_for_email: 'analytical-engine-1843' })
      .redirects(0)
    asked.assertHeader('location', '/settings')
    assert.match(
      String(asked.flashMessage('success')),
      /^We sent a link to ada@new\.example\.com\./
    )
    await user.refresh()
    assert.equal(user.email, 'ada@example.com')
    const pending = await client.get('/settings').loginAs(user)
    pending.assertTextIncludes('data-pending-email="ada@new.example.com"')

    await runJobs(['send_notification'])
    const link = linkIn(mails, 'ada@new.example.com')
    const stored = await db.from('email_changes').first()
    assert.notInclude(JSON.stringify(stored), link.split('/').at(-1)!)
    const outbox = await db.from('notifications').where('message', 'email_change').first()
    assert.isNull(outbox.data.encryptedToken, 'the token is scrubbed once sent')

    // The link works logged out too, once
    const confirmed = await client.get(link).redirects(0)
    confirmed.assertHeader('location', '/login')
    assert.equal(confirmed.flashMessage('success'), 'Your email is now ada@new.example.com.')
    await user.refresh()
    assert.equal(user.email, 'ada@new.example.com')
    await runJobs(['send_notification'])
    const notice = mails.sent().find((sent) => sent.message === 'email_changed')!
    assert.deepEqual(notice.to, ['ada@example.com'])
    assert.include(notice.text, 'from ada@example.com to ada@new.example.com')

    const again = await client.get(link).redirects(0)
    assert.match(String(again.flashMessage('error')), /^This link does not work any more/)
    const login = await client
      .post('/login')
      .withCsrfToken()
      .form({ email: 'ada@new.example.com', password: 'analytical-engine-1843' })
      .redirects(0)
    login.assertHeader('location', '/')
  })

  test('refuses a wrong password, an address in use and the same address, beside their fields', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    const user = await createUser({ email: 'ada@example.com', password: 'analytical-engine-1843' })
    await createUser({ email: 'bob@example.com' })
    const post = (form: Record<string, string>) =>
      client
        .post('/settings/email')
        .loginAs(user)
        .withCsrfToken()
        .header('referer', '/settings')
        .form(form)
        .redirects(0)

    const wrong = await post({ email: 'new@example.com', password_for_email: 'not-my-password-1' })
    assert.deepEqual(wrong.flashMessage('inputErrorsBag'), {
      password_for_email: ['This is not your current password, so nothing was changed.'],
    })
    // What was typed comes back, never a password
    assert.equal(wrong.flashMessage('email'), 'new@example.com')
    assert.isUndefined(wrong.flashMessage('password_for_email'))
    const taken = await post({
      email: 'BOB@example.com',
      password_for_email: 'analytical-engine-1843',
    })
    assert.deepEqual(taken.flashMessage('inputErrorsBag'), {
      email: ['Another account uses this email address.'],
    })
    const same = await post({
      email: 'ada@example.com',
      password_for_email: 'analytical-engine-1843',
    })
    assert.deepEqual(same.flashMessage('inputErrorsBag'), {
      email: ['This is already your email address.'],
    })
    const bad = await post({ email: 'not an email', password_for_email: 'analytical-engine-1843' })
    assert.property(bad.flashMessage('inputErrorsBag'), 'email')

    assert.lengthOf(await db.from('email_changes'), 0)
    await runJobs(['send_notification'])
    assert.lengthOf(mails.sent(), 0)
  })

  test('a link for an address someone took in the meantime changes nothing', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    const user = await createUser({ email: 'ada@example.com', password: 'analytical-engine-1843' })
    await client
      .post('/settings/email')
      .loginAs(user)
      .withCsrfToken()
      .form({ email: 'shared@example.com', password_for_email: 'analytical-engine-1843' })
    await runJobs(['send_notification'])
    const link = linkIn(mails, 'shared@example.com')
    await createUser({ email: 'shared@example.com' })

    const refused = await client.get(link).loginAs(user).redirects(0)
    assert.match(String(refused.flashMessage('error')), /^Another account started using/)
    await user.refresh()
    assert.equal(user.email, 'ada@example.com')
  })
})

test.group('Settings: password and sessions', (group) => {
  let restore: () => void
  group.each.setup(async () => {
    await truncateAllTables()
    restore = await useDatabaseSessions()
    return () => restore()
  })

  test('a new password needs the current one and logs out every other session', async ({
    assert,
  }) => {
    const mails = fakeMail()
    await createUser({ email: 'ada@example.com', password: 'analytical-engine-1843' })
    const laptop = new Browser()
    await laptop.logIn('ada@example.com', 'analytical-engine-1843')
    const phone = new Browser()
    await phone.logIn('ada@example.com', 'analytical-engine-1843')

    const wrong = await laptop.submit('/settings', '/settings/password', {
      current_password: 'not-my-password-1',
      password: 'a-brand-new-one-2026',
    })
    assert.equal(wrong.location, '/settings')
    const shown = await laptop.get('/settings')
    assert.include(shown.text, 'This is not your current password, so nothing was changed.')
    assert.include(shown.text, 'aria-describedby="current_password-error"')
    assert.notInclude(shown.text, 'a-brand-new-one-2026')

    const weak = await laptop.submit('/settings', '/settings/password', {
      current_password: 'analytical-engine-1843',
      password: 'password',
    })
    assert.equal(weak.location, '/settings')

    const done = await laptop.submit('/settings', '/settings/password', {
      current_password: 'analytical-engine-1843',
      password: 'a-brand-new-one-2026',
    })
    assert.equal(done.location, '/settings')
    const after = await laptop.get('/settings')
    assert.include(
      after.text,
      'Password changed. You were logged out everywhere else (1 other session).'
    )
    const ended = await phone.get('/settings')
    assert.equal(ended.location, '/login')
    const user = await User.findByOrFail('email', 'ada@example.com')
    assert.isTrue(await hash.verify(user.password, 'a-brand-new-one-2026'))
    await runJobs(['send_notification'])
    assert.deepEqual(
      mails.sent().map((sent) => sent.message),
      ['password_changed']
    )
  })
})

test.group('Settings: deleting the account', (group) => {
  group.each.setup(() => truncateAllTables())

  test('refused with the reasons while an order is open, and nothing changes', async ({
    client,
    assert,
  }) => {
    const carla = await createActiveContractor()
    const employer = await createEmployer({
      email: 'erin@example.com',
      password: 'hire-people-2026',
    })
    const order = await placeTestOrder(employer, await createService(carla))

    const page = await client.get('/settings').loginAs(employer)
    page.assertTextIncludes('Your account cannot be deleted yet:')
    page.assertTextIncludes(`Orders in progress: #${order.id}.`)
    page.assertTextIncludes(`Payments not settled yet: orders #${order.id}.`)
    assert.notInclude(page.text(), 'action="/settings/delete"')

    const refused = await client
      .post('/settings/delete')
      .loginAs(employer)
      .withCsrfToken()
      .form({ password_for_delete: 'hire-people-2026', confirm: 'on' })
      .redirects(0)
    assert.match(String(refused.flashMessage('error')), /^Your account cannot be deleted yet\./)
    await employer.refresh()
    assert.isNull(employer.deletedAt)
    assert.equal(employer.email, 'erin@example.com')

    // The contractor too: the order is open, and money is on their balance
    const blockers = await client.get('/settings').loginAs(carla)
    blockers.assertTextIncludes(`Orders in progress: #${order.id}.`)
  })

  test('a contractor with an open payment request is refused until it is voided or paid in full', async ({
    client,
    assert,
  }) => {
    const carla = await createActiveContractor({ password: 'build-things-2026' })
    const erin = await createUser({ role: 'employer', email: 'erin@example.com' })
    const today = await businessNow()
    const sendRequest = async (amount: string) => {
      const sent = await client
        .post('/my/payment-requests')
        .loginAs(carla)
        .withCsrfToken()
        .form({
          employer_email: 'erin@example.com',
          description: 'Extra drywall',
          amount,
          currency: 'usd',
          due_date: today.plus({ days: 30 }).toISODate()!,
        })
        .redirects(0)
      assert.match(sent.header('location') ?? '', /^\/my\/payment-requests\/\d+$/)
      return PaymentRequest.query().orderBy('id', 'desc').firstOrFail()
    }
    const unpaid = await sendRequest('100.00')
    const partly = await sendRequest('200.00')
    // Half of the second one is paid (a captured card payment)
    const payment = await Payment.create({
      paymentRequestId: partly.id,
      orderId: null,
      employerId: erin.id,
      methodType: 'card',
      paymentMethodId: 'pm_card_visa',
      methodBrand: 'Visa',
      methodLast4: '4242',
      flow: 'destination',
      amount: 10000,
      amountCaptured: 10000,
      currency: 'usd',
      applicationFeeAmount: 0,
      status: 'succeeded',
    })
    const tryDelete = () =>
      client
        .post('/settings/delete')
        .loginAs(carla)
        .withCsrfToken()
        .form({ password_for_delete: 'build-things-2026', confirm: 'on' })
        .redirects(0)

    const both = await client.get('/settings').loginAs(carla)
    both.assertTextIncludes('Your account cannot be deleted yet:')
    both.assertTextIncludes(
      `You have 2 open payment requests (#${unpaid.id}, #${partly.id}): void them first, or wait until they are paid in full.`
    )
    assert.notInclude(both.text(), 'action="/settings/delete"')
    const refused = await tryDelete()
    assert.equal(
      refused.flashMessage('error'),
      `Your account cannot be deleted yet. You have 2 open payment requests (#${unpaid.id}, #${partly.id}): ` +
        'void them first, or wait until they are paid in full.'
    )
    await carla.refresh()
    assert.isNull(carla.deletedAt)

    // The second is paid in full: only the unpaid one is left
    payment.merge({ amount: 20000, amountCaptured: 20000 })
    await payment.save()
    const one = await client.get('/settings').loginAs(carla)
    one.assertTextIncludes(
      `You have 1 open payment request (#${unpaid.id}): void it first, or wait until it is paid in full.`
    )
    const stillRefused = await tryDelete()
    assert.include(
      String(stillRefused.flashMessage('error')),
      `You have 1 open payment request (#${unpaid.id})`
    )
    await carla.refresh()
    assert.isNull(carla.deletedAt)

    const voided = await client
      .post(`/my/payment-requests/${unpaid.id}/void`)
      .loginAs(carla)
      .withCsrfToken()
      .redirects(0)
    assert.equal(
      voided.flashMessage('success'),
      `Request #${unpaid.id} is canceled: its link now says so.`
    )
    const free = await client.get('/settings').loginAs(carla)
    assert.notInclude(free.text(), 'open payment request')
    free.assertTextIncludes('action="/settings/delete"')
    const deleted = await tryDelete()
    deleted.assertHeader('location', '/')
    await carla.refresh()
    assert.isNotNull(carla.deletedAt)
    assert.equal(carla.fullName, 'Deleted user')
  })

  test('a contractor with money on their Stripe balance is told to wait for the payout', async ({
    client,
  }) => {
    const carla = await createActiveContractor()
    await stripe().paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      allowed_payment_method_types: ['card'],
      transfer_data: { destination: await stripeIdOf(carla) },
    })
    const page = await client.get('/settings').loginAs(carla)
    page.assertTextIncludes(
      'Your balance still holds $50.00 ($50.00 pending). Wait until it is paid out to your bank.'
    )
  })

  test('deleting removes the personal data, keeps the money records, and frees the email', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    const carla = await createActiveContractor({ fullName: 'Carla Contractor' })
    const employer = await createEmployer({
      fullName: 'Erin Employer',
      email: 'erin@example.com',
      password: 'hire-people-2026',
    })
    const service = await createService(carla)
    const order = await placeTestOrder(employer, service)
    await acceptLine(order.id, null, carla)
    await deliverLine(order.id, null, carla)
    await approveLines(order.id, null, actors.party('employer', employer.id))
    await db
      .table('cart_items')
      .insert({ employer_id: employer.id, service_id: service.id, created_at: new Date() })

    const unconfirmed = await client
      .post('/settings/delete')
      .loginAs(employer)
      .withCsrfToken()
      .form({ password_for_delete: 'hire-people-2026' })
      .redirects(0)
    assert.property(unconfirmed.flashMessage('inputErrorsBag'), 'confirm')
    const wrong = await client
      .post('/settings/delete')
      .loginAs(employer)
      .withCsrfToken()
      .form({ password_for_delete: 'not-my-password-1', confirm: 'on' })
      .redirects(0)
    assert.property(wrong.flashMessage('inputErrorsBag'), 'password_for_delete')
    await employer.refresh()
    assert.isNull(employer.deletedAt)

    const deleted = await client
      .post('/settings/delete')
      .loginAs(employer)
      .withCsrfToken()
      .form({ password_for_delete: 'hire-people-2026', confirm: 'on' })
      .redirects(0)
    deleted.assertHeader('location', '/')
    await employer.refresh()
    assert.isNotNull(employer.deletedAt)
    assert.equal(employer.fullName, 'Deleted user')
    assert.match(employer.email, /^deleted-.+@deleted\.crewpay\.invalid$/)
    assert.isFalse(await hash.verify(employer.password, 'hire-people-2026'))
    assert.lengthOf(await db.from('cart_items').where('employer_id', employer.id), 0)
    const profile = await UserProfile.findByOrFail('userId', employer.id)
    assert.match(profile.stripeId!, /^cus_/, 'the Stripe customer is kept for the money records')
    // The money records stay, under the anonymised name
    const kept = await Order.findOrFail(order.id)
    assert.equal(kept.employerId, employer.id)
    const contractorView = await client.get(`/orders/${order.id}`).loginAs(carla)
    contractorView.assertTextIncludes('by Deleted user')
    assert.notInclude(contractorView.text(), 'Erin Employer')

    await runJobs(['send_notification'])
    const confirmation = mails.sent().find((sent) => sent.message === 'account_deleted')!
    assert.deepEqual(confirmation.to, ['erin@example.com'])

    const login = await client
      .post('/login')
      .withCsrfToken()
      .form({ email: 'erin@example.com', password: 'hire-people-2026' })
      .redirects(0)
    login.assertHeader('location', '/login')
    const again = await client
      .post('/signup')
      .withCsrfToken()
      .form({
        full_name: 'Erin Again',
        email: 'erin@example.com',
        password: 'hire-people-2027',
        role: 'employer',
      })
      .redirects(0)
    again.assertHeader('location', '/')
    assert.lengthOf(await User.query().where('email', 'erin@example.com'), 1)
  })

  test("a contractor's services leave the listing with the account", async ({ client, assert }) => {
    const carla = await createActiveContractor({ password: 'paint-the-walls-2026' })
    const service = await createService(carla, { title: 'Paint' })
    await client
      .post('/settings/delete')
      .loginAs(carla)
      .withCsrfToken()
      .form({ password_for_delete: 'paint-the-walls-2026', confirm: 'on' })
      .redirects(0)
    await service.refresh()
    assert.isNotNull(service.deletedAt)
    assert.isFalse(service.active)
    const listing = await client.get('/services')
    assert.notInclude(listing.text(), 'Paint')
    assert.lengthOf(await Service.query().whereNull('deletedAt'), 0)
    const profile = await UserProfile.findByOrFail('userId', carla.id)
    assert.isNull(profile.bankLast4)
    assert.isNull(profile.tosIp)
    assert.isNotNull(profile.tosAcceptedAt)
  })
})
