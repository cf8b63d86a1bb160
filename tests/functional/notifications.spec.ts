import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import mail from '@adonisjs/mail/services/main'
import type Stripe from 'stripe'
import { appUrl } from '#config/app'
import { smtpConnection } from '#config/mail'
import { freePort } from '#infra/net'
import { caughtMail, startMailCatcher } from '#infra/mail_catcher'
import User from '#models/user'
import { notify, renderMessage } from '#mails/notify'
import { messages, type MessageData, type MessageName } from '#mails/messages'
import { queueSnapshot } from '#services/queue'
import { truncateAllTables } from '#tests/helpers/database'
import { runJobs, runJobsOnce } from '#tests/helpers/jobs'
import { fakeMail } from '#tests/helpers/mail'
import { createUser } from '#tests/helpers/users'
import { ensureConnectAccount } from '#actions/onboarding/ensure_account'
import { onboardWithTestValues } from '#actions/demo/onboard_with_test_values'
import { syncAccountSnapshot } from '#actions/onboarding/sync_account'

const order = { orderId: 42, title: 'Kitchen repaint', amount: 12050, currency: 'usd' }

async function outbox() {
  return db.from('notifications').orderBy('id')
}

async function queuedMailJobs() {
  const snapshot = await queueSnapshot()
  const row = snapshot.find((entry) => entry.queue === 'send_notification')!
  return row.queued
}

test.group('Notifications: after commit, once per key', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a message is sent after its transaction commits, once however often it is asked', async ({
    assert,
  }) => {
    const mails = fakeMail()
    const contractor = await createUser({ role: 'contractor', email: 'carla@example.com' })

    await db.transaction(async (trx) => {
      const first = await notify(trx, {
        key: 'order:42:paid',
        to: { userId: contractor.id },
        message: 'order_paid',
        data: { ...order, fee: 1205, net: 10845 },
      })
      const again = await notify(trx, {
        key: 'order:42:paid',
        to: { userId: contractor.id },
        message: 'order_paid',
        data: { ...order, fee: 1205, net: 10845 },
      })
      assert.isTrue(first.queued)
      assert.isFalse(again.queued)
      // Nothing is sent from inside the transaction
      assert.lengthOf(mails.sent(), 0)
    })
    // A second occasion with the same key, later (a retried webhook): still one
    await db.transaction((trx) =>
      notify(trx, {
        key: 'order:42:paid',
        to: { userId: contractor.id },
        message: 'order_paid',
        data: { ...order, fee: 1205, net: 10845 },
      })
    )

    const rows = await outbox()
    assert.lengthOf(rows, 1)
    assert.equal(rows[0].status, 'queued')
    assert.equal(await queuedMailJobs(), 1)

    await runJobs()
    const sent = mails.sent()
    assert.lengthOf(sent, 1)
    assert.deepEqual(sent[0].to, ['carla@example.com'])
    assert.equal(sent[0].subject, 'You were paid $108.45 for order #42 (Kitchen repaint)')
    assert.include(sent[0].text, '$108.45')
    assert.include(sent[0].text, '$12.05')
    assert.include(sent[0].html, `${appUrl}/orders/42`)
    const [row] = await outbox()
    assert.equal(row.status, 'sent')
    assert.isNotNull(row.sent_at)
    assert.equal(row.attempts, 1)

    await runJobs()
    assert.lengthOf(mails.sent(), 1)
  })

  test('nothing is sent when the transaction rolls back', async ({ assert }) => {
    const mails = fakeMail()
    const employer = await createUser({ email: 'erin@example.com' })

    await assert.rejects(() =>
      db.transaction(async (trx) => {
        await notify(trx, {
          key: 'order:42:receipt',
          to: { userId: employer.id },
          message: 'payment_receipt',
          data: {
            ...order,
            capturedAt: '2026-11-20T10:00:00Z',
            paymentMethod: 'Visa ending in 4242',
          },
        })
        throw new Error('the capture failed after all')
      })
    )

    assert.lengthOf(await outbox(), 0)
    assert.equal(await queuedMailJobs(), 0)
    const ran = await runJobs()
    assert.equal(ran.ran, 0)
    assert.lengthOf(mails.sent(), 0)
  })

  test('optional mail can be turned off; transactional and security mail is still sent', async ({
    assert,
  }) => {
    const mails = fakeMail()
    const employer = await createUser({ email: 'quiet@example.com' })
    employer.optionalMail = false
    await employer.save()

    await db.transaction(async (trx) => {
      await notify(trx, {
        key: 'welcome:quiet',
        to: { userId: employer.id },
        message: 'welcome',
        data: { role: 'employer' },
      })
      await notify(trx, {
        key: 'order:42:accepted',
        to: { userId: employer.id },
        message: 'order_accepted',
        data: { ...order, contractorName: 'Carla' },
      })
      await notify(trx, {
        key: 'order:42:declined',
        to: { userId: employer.id },
        message: 'order_declined',
        data: { ...order, contractorName: 'Carla', reason: null },
      })
      await notify(trx, {
        key: 'password:changed',
        to: { userId: employer.id },
        message: 'password_changed',
        data: { changedAt: '2026-11-20T10:00:00Z', ip: '203.0.113.9' },
      })
    })
    await runJobs()

    assert.sameMembers(
      mails.sent().map((sent) => sent.message),
      ['order_declined', 'password_changed']
    )
    const rows = await outbox()
    const statuses = Object.fromEntries(rows.map((row) => [row.message, row.status]))
    assert.deepEqual(statuses, {
      welcome: 'skipped',
      order_accepted: 'skipped',
      order_declined: 'sent',
      password_changed: 'sent',
    })
  })

  test('the settings page turns optional mail off and on', async ({ client, assert }) => {
    const user = await createUser()

    // The old address of these settings leads to their section of /settings
    const old = await client.get('/settings/notifications').loginAs(user).redirects(0)
    old.assertHeader('location', '/settings')
    const page = await client.get('/settings').loginAs(user)
    page.assertStatus(200)
    page.assertTextIncludes('name="optional_mail"')
    page.assertTextIncludes('checked')

    const off = await client
      .post('/settings/notifications')
      .loginAs(user)
      .withCsrfToken()
      .form({})
      .redirects(0)
    off.assertStatus(302)
    await user.refresh()
    assert.isFalse(user.optionalMail)

    await client
      .post('/settings/notifications')
      .loginAs(user)
      .withCsrfToken()
      .form({ optional_mail: 'on' })
      .redirects(0)
    await user.refresh()
    assert.isTrue(user.optionalMail)

    const bad = await client
      .post('/settings/notifications')
      .loginAs(user)
      .withCsrfToken()
      .form({ optional_mail: 'sometimes' })
      .redirects(0)
    bad.assertStatus(302)
    assert.property(bad.flashMessage('inputErrorsBag'), 'optional_mail')
    await user.refresh()
    assert.isTrue(user.optionalMail)
  })

  test('signup mails a welcome that points a contractor at onboarding', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    await client
      .post('/signup')
      .withCsrfToken()
      .form({
        full_name: 'Carla Contractor',
        email: 'carla@example.com',
        password: 'paint-walls-2026',
        role: 'contractor',
      })
      .redirects(0)

    await runJobs(['send_notification'])
    const [welcome] = mails.sent()
    assert.deepEqual(welcome.to, ['carla@example.com'])
    assert.equal(welcome.subject, 'Welcome to Crewpay')
    assert.include(welcome.text, 'Hello Carla Contractor,')
    assert.include(welcome.text, `${appUrl}/onboarding`)
  })

  test('a contractor hears when the account is enabled, and when Stripe asks for more', async ({
    assert,
  }) => {
    const mails = fakeMail()
    const contractor = await createUser({ role: 'contractor', email: 'carla@example.com' })
    await ensureConnectAccount(contractor)
    await runJobs()
    assert.lengthOf(mails.sent(), 0, 'nothing while the account is being set up')

    const account = await onboardWithTestValues(contractor)
    await runJobs(['send_notification'])
    assert.deepEqual(
      mails.sent().map((sent) => [sent.message, sent.to[0]]),
      [['account_enabled', 'carla@example.com']]
    )

    // Stripe asks for an ID document and pauses payments (account.updated)
    const paused = {
      ...account,
      charges_enabled: false,
      requirements: {
        ...account.requirements,
        currently_due: ['individual.verification.document'],
        past_due: ['individual.verification.document'],
        disabled_reason: 'requirements.past_due',
      },
    } as Stripe.Account
    await syncAccountSnapshot(paused)
    await syncAccountSnapshot(paused)
    await runJobs(['send_notification'])

    const asked = mails.sent().filter((sent) => sent.message === 'account_action_needed')
    assert.lengthOf(asked, 1)
    assert.equal(asked[0].subject, 'Stripe needs more information to pay you')
    assert.include(asked[0].text, `${appUrl}/onboarding`)
    assert.match(asked[0].text, /ID/)
  })
})

/** What the payment request messages name */
const paymentRequest = {
  requestId: 5,
  contractorName: 'Carla',
  description: 'Extra <b>drywall</b> & paint',
  amount: 120050,
  currency: 'usd',
  dueDate: '2026-12-01',
}

/** Sample data of every message: order messages in USD, one in JPY */
const samples: { [Name in MessageName]: MessageData<Name> } = {
  welcome: { role: 'employer' },
  password_reset: { encryptedToken: null, expiresAt: '2026-11-20T11:00:00Z' },
  password_changed: { changedAt: '2026-11-20T10:00:00Z', ip: '203.0.113.9' },
  account_action_needed: { items: ['Your ID document'], deadline: null, pausedBecause: null },
  account_enabled: {},
  order_requested: { ...order, employerName: 'Erin', note: 'Blue <b>walls</b> & white doors' },
  order_canceled: { ...order, employerName: 'Erin' },
  order_paid: { ...order, fee: 1205, net: 10845 },
  refund_reversed: { ...order, reversed: 1800 },
  contractor_debited: {
    debitId: 7,
    orderId: 42,
    title: 'Kitchen repaint',
    amount: 500,
    currency: 'usd',
    reason: 'Chargeback fee',
  },
  order_accepted: { ...order, contractorName: 'Carla' },
  order_declined: { ...order, contractorName: 'Carla', reason: '<script>alert(1)</script>' },
  order_delivered: {
    ...order,
    contractorName: 'Carla',
    approveBy: '2026-11-27T09:30:00Z',
    policy: 'capture',
  },
  approval_reminder: {
    ...order,
    currency: 'jpy',
    amount: 12345,
    contractorName: 'Carla',
    approveBy: '2026-11-27T09:30:00Z',
    policy: 'release',
  },
  payment_receipt: {
    ...order,
    capturedAt: '2026-11-20T10:00:00Z',
    paymentMethod: 'Visa ending in 4242',
  },
  refund_issued: { ...order, refunded: 2000, refundedTotal: 2000, reason: null },
  payment_failed: {
    ...order,
    reason: 'The bank account is closed.',
    paymentMethod: 'Bank debit from STRIPE TEST BANK ···· 6789',
  },
  order_payment_failed: { ...order, employerName: 'Erin', delivered: true },
  payment_request: { ...paymentRequest, balanceDue: 120050, encryptedToken: null },
  payment_request_overdue: { ...paymentRequest, balanceDue: 70050, encryptedToken: null },
  request_payment_receipt: {
    ...paymentRequest,
    paymentId: 9,
    paid: 50000,
    paidAt: '2026-11-20T10:00:00Z',
    paymentMethod: 'Visa ending in 4242',
    paidSoFar: 50000,
    balanceDue: 70050,
  },
  request_payment_received: {
    ...paymentRequest,
    paymentId: 9,
    employerEmail: 'erin@example.com',
    paid: 50000,
    fee: 5000,
    net: 45000,
    paidSoFar: 50000,
    balanceDue: 70050,
  },
  dispute_opened: {
    ...order,
    disputed: 12050,
    reason: 'the cardholder says the work was not received',
    inquiry: false,
  },
  dispute_closed: {
    ...order,
    disputed: 12050,
    reason: 'the cardholder says the work was not received',
    outcome: 'won',
    taken: 10845,
  },
  request_dispute_opened: {
    ...paymentRequest,
    paymentId: 9,
    disputed: 50000,
    reason: 'the cardholder says they did not make this payment',
    inquiry: false,
  },
  request_dispute_closed: {
    ...paymentRequest,
    paymentId: 9,
    disputed: 50000,
    reason: 'the cardholder says they did not make this payment',
    outcome: 'lost',
    taken: 43750,
  },
  email_change: {
    newEmail: 'ada@new.example.com',
    encryptedToken: null,
    expiresAt: '2026-11-21T10:00:00Z',
  },
  email_changed: {
    oldEmail: 'ada@example.com',
    newEmail: 'ada@new.example.com',
    changedAt: '2026-11-20T10:00:00Z',
  },
  account_deleted: { deletedAt: '2026-11-20T10:00:00Z' },
}

const ORDER_MESSAGES = Object.keys(samples).filter(
  (name) => 'orderId' in samples[name as MessageName]
) as MessageName[]

test.group('Notifications: what each message says', () => {
  test('every message renders in HTML and text, with its link and nothing undefined', async ({
    assert,
  }) => {
    for (const name of Object.keys(messages) as MessageName[]) {
      const rendered = await renderMessage(name, samples[name] as never, 'Ada Lovelace')
      for (const body of [rendered.subject, rendered.html, rendered.text]) {
        assert.notMatch(body, /undefined|NaN|\[object /, name)
      }
      assert.include(rendered.html, rendered.link, name)
      assert.include(rendered.text, rendered.link, name)
      assert.include(rendered.text, 'Hello Ada Lovelace,', name)
      assert.notInclude(rendered.text, '&amp;', `${name}: the text part is not HTML-escaped`)
      assert.match(rendered.html, /^<!doctype html>/, name)
    }
  })

  test('every order message names the order, its amount in its currency and its page', async ({
    assert,
  }) => {
    assert.isAbove(ORDER_MESSAGES.length, 10)
    for (const name of ORDER_MESSAGES) {
      const data = samples[name] as MessageData<'order_paid'>
      const rendered = await renderMessage(name, data as never, 'Ada')
      const amount =
        data.currency === 'jpy' ? '¥12,345' : name === 'contractor_debited' ? '$5.00' : '$120.50'
      for (const body of [rendered.html, rendered.text]) {
        assert.include(body, '#42', name)
        assert.include(body, 'Kitchen repaint', name)
        assert.include(body, amount, name)
      }
      assert.include(rendered.subject, '#42', name)
      assert.equal(rendered.link, `${appUrl}/orders/42`, name)
    }
  })

  test('subjects and bodies carry the figures of their occasion', async ({ assert }) => {
    const render = <Name extends MessageName>(name: Name) =>
      renderMessage(name, samples[name] as never, 'Ada')

    const delivered = await render('order_delivered')
    assert.equal(delivered.subject, 'Order #42 was delivered: approve by Nov 27, 2026, 09:30 UTC')
    assert.include(delivered.text, 'it will be paid to the contractor automatically')

    const reminder = await render('approval_reminder')
    assert.include(reminder.text, 'the hold on your card will be released')
    assert.include(reminder.text, '¥12,345')

    const refund = await render('refund_issued')
    assert.equal(refund.subject, 'Refund of $20.00 for order #42 (Kitchen repaint)')

    const reversed = await render('refund_reversed')
    assert.equal(
      reversed.subject,
      '$18.00 was taken back for a refund of order #42 (Kitchen repaint)'
    )

    const debit = await render('contractor_debited')
    assert.equal(debit.subject, '$5.00 was debited from your balance (order #42)')
    assert.include(debit.text, 'Reason: Chargeback fee')

    const receipt = await render('payment_receipt')
    assert.equal(receipt.subject, 'Receipt: $120.50 for order #42 (Kitchen repaint)')
    assert.include(receipt.text, 'Visa ending in 4242')

    const requested = await render('order_requested')
    assert.equal(requested.subject, 'New order #42: Kitchen repaint ($120.50)')
    assert.include(requested.text, 'Blue <b>walls</b> & white doors')
    assert.include(requested.html, 'Blue &lt;b&gt;walls&lt;/b&gt; &amp; white doors')

    // The contractor's words are text in the HTML part, never markup
    const declined = await render('order_declined')
    assert.notInclude(declined.html, '<script>')
    assert.include(declined.html, '&lt;script&gt;')
  })

  test('optional messages say how to turn them off; the others do not', async ({ assert }) => {
    for (const name of Object.keys(messages) as MessageName[]) {
      const rendered = await renderMessage(name, samples[name] as never, null)
      const offer = rendered.text.includes(`${appUrl}/settings#notifications`)
      assert.equal(offer, messages[name].category === 'optional', name)
    }
  })
})

test.group('Notifications through real SMTP', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a message reaches the mail catcher over SMTP', async ({ assert }) => {
    const catcher = await startMailCatcher({
      smtpPort: await freePort(),
      webPort: await freePort(),
      reuse: false,
    })
    const original = { ...smtpConnection }
    smtpConnection.host = '127.0.0.1'
    smtpConnection.port = catcher.smtpPort
    mail.restore()
    await mail.close('smtp')
    try {
      const employer = await createUser({ email: 'erin@example.com', fullName: 'Erin Employer' })
      await db.transaction((trx) =>
        notify(trx, {
          key: 'order:42:receipt',
          to: { userId: employer.id },
          message: 'payment_receipt',
          data: {
            ...order,
            capturedAt: '2026-11-20T10:00:00Z',
            paymentMethod: 'Visa ending in 4242',
          },
        })
      )
      const ran = await runJobs(['send_notification'])
      assert.equal(ran.failed, 0, ran.errors.join('; '))

      const caught = await caughtMail(catcher.webUrl)
      assert.lengthOf(caught, 1)
      assert.equal(caught[0].to[0].address, 'erin@example.com')
      assert.equal(caught[0].from[0].address, 'no-reply@crewpay.test')
      assert.equal(caught[0].subject, 'Receipt: $120.50 for order #42 (Kitchen repaint)')
      assert.include(caught[0].text!, 'Hello Erin Employer,')
      assert.include(caught[0].html!, `${appUrl}/orders/42`)
      const [row] = await outbox()
      assert.equal(row.status, 'sent')
      await User.findOrFail(employer.id)
    } finally {
      await mail.close('smtp')
      Object.assign(smtpConnection, original)
      mail.fake()
      await catcher.stop()
    }
  })

  test('a send that fails goes back to the queue and is delivered once on the retry', async ({
    assert,
  }) => {
    const employer = await createUser({ email: 'erin@example.com' })
    await db.transaction((trx) =>
      notify(trx, {
        key: 'order:42:refund:1',
        to: { userId: employer.id },
        message: 'refund_issued',
        data: { ...order, refunded: 2000, refundedTotal: 2000, reason: null },
      })
    )
    // The SMTP server is down for the first attempt
    const original = { ...smtpConnection }
    smtpConnection.port = await freePort()
    mail.restore()
    await mail.close('smtp')
    let first
    try {
      first = await runJobsOnce(['send_notification'])
    } finally {
      await mail.close('smtp')
      Object.assign(smtpConnection, original)
    }
    assert.equal(first.failed, 1)
    const [failing] = await outbox()
    assert.equal(failing.status, 'queued')
    assert.match(failing.last_error, /ECONNREFUSED|connect/i)

    const mails = fakeMail()
    await runJobs(['send_notification'])
    assert.deepEqual(
      mails.sent().map((sent) => sent.subject),
      ['Refund of $20.00 for order #42 (Kitchen repaint)']
    )
    const [sent] = await outbox()
    assert.equal(sent.status, 'sent')
    assert.equal(sent.attempts, 2)
    assert.isNull(sent.last_error)
  })
})
