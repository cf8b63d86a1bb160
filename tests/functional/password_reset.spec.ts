import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import { appUrl } from '#config/app'
import { truncateAllTables } from '#tests/helpers/database'
import { runJobs } from '#tests/helpers/jobs'
import { fakeMail } from '#tests/helpers/mail'
import { createUser } from '#tests/helpers/users'
import { Browser, useDatabaseSessions } from '#tests/helpers/sessions'

const SENT = /If an account uses that address, we sent it a link/

function requestReset(client: any, email: string) {
  return client.post('/forgot-password').withCsrfToken().form({ email }).redirects(0)
}

/** The reset link of the newest mail to `email` */
function linkIn(mails: ReturnType<typeof fakeMail>, email: string) {
  const mail = mails
    .sent()
    .filter((sent) => sent.to.includes(email) && sent.message === 'password_reset')
    .at(-1)
  const match = /\/reset-password\/([A-Za-z0-9_-]{40,})/.exec(mail?.text ?? '')
  if (!match) {
    throw new Error(`No reset link mailed to ${email}`)
  }
  return { path: match[0], token: match[1] }
}

async function canLogIn(email: string, password: string) {
  try {
    await User.verifyCredentials(email, password)
    return true
  } catch {
    return false
  }
}

test.group('Password reset', (group) => {
  group.each.setup(() => truncateAllTables())

  test('the link mailed resets the password once; a confirmation follows', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    await createUser({ email: 'ada@example.com', password: 'old-password-1' })

    const form = await client.get('/forgot-password')
    form.assertStatus(200)
    form.assertTextIncludes('name="email"')
    const asked = await requestReset(client, 'Ada@Example.com ')
    asked.assertStatus(302)
    asked.assertHeader('location', '/forgot-password')
    assert.match(asked.flashMessage('success'), SENT)

    await runJobs(['send_notification'])
    const { path, token } = linkIn(mails, 'ada@example.com')
    assert.include(mails.sent()[0].text, `${appUrl}${path}`)
    assert.equal(mails.sent()[0].subject, 'Reset your Crewpay password')
    // Only a hash of the token is stored, and the outbox forgot it once sent
    const [row] = await db.from('password_reset_tokens')
    assert.notEqual(row.token_hash, token)
    assert.match(row.token_hash, /^[0-9a-f]{64}$/)
    const outbox = await db.from('notifications').where('message', 'password_reset').first()
    assert.notInclude(JSON.stringify(outbox.data), token)
    assert.isNull(outbox.data.encryptedToken)

    const page = await client.get(path)
    page.assertStatus(200)
    page.assertTextIncludes('name="password"')

    const reset = await client
      .post(path)
      .withCsrfToken()
      .form({ password: 'new-password-2' })
      .redirects(0)
    reset.assertStatus(302)
    reset.assertHeader('location', '/login')
    assert.isTrue(await canLogIn('ada@example.com', 'new-password-2'))
    assert.isFalse(await canLogIn('ada@example.com', 'old-password-1'))

    await runJobs(['send_notification'])
    const confirmation = mails.sent().find((sent) => sent.message === 'password_changed')
    assert.deepEqual(confirmation?.to, ['ada@example.com'])
    assert.equal(confirmation?.subject, 'Your Crewpay password was changed')

    // The same link again: refused, and nothing changes
    const reused = await client.get(path)
    reused.assertStatus(410)
    reused.assertTextIncludes('data-reset-link="invalid"')
    const replay = await client
      .post(path)
      .withCsrfToken()
      .form({ password: 'third-password-3' })
      .redirects(0)
    replay.assertStatus(410)
    assert.isTrue(await canLogIn('ada@example.com', 'new-password-2'))
  })

  test('an unknown address gets the same answer and nothing is sent', async ({
    client,
    assert,
  }) => {
    const mails = fakeMail()
    await createUser({ email: 'ada@example.com' })

    const known = await requestReset(client, 'ada@example.com')
    const unknown = await requestReset(client, 'nobody@example.com')

    assert.equal(unknown.status(), known.status())
    assert.equal(unknown.header('location'), known.header('location'))
    assert.deepEqual(unknown.flashMessages(), known.flashMessages())
    await runJobs(['send_notification'])
    assert.deepEqual(
      mails.sent().map((sent) => sent.to[0]),
      ['ada@example.com']
    )
    assert.lengthOf(await db.from('password_reset_tokens'), 1)
  })

  test('an expired link is refused and changes nothing', async ({ client, assert }) => {
    const mails = fakeMail()
    await createUser({ email: 'ada@example.com', password: 'old-password-1' })
    await requestReset(client, 'ada@example.com')
    await runJobs(['send_notification'])
    const { path } = linkIn(mails, 'ada@example.com')
    await db.from('password_reset_tokens').update({
      expires_at: new Date(Date.now() - 1000),
      created_at: new Date(Date.now() - 3_601_000),
    })

    const page = await client.get(path)
    page.assertStatus(410)
    const post = await client
      .post(path)
      .withCsrfToken()
      .form({ password: 'new-password-2' })
      .redirects(0)
    post.assertStatus(410)
    assert.isTrue(await canLogIn('ada@example.com', 'old-password-1'))

    const made = await client.get('/reset-password/not-a-real-token')
    made.assertStatus(410)
  })

  test('a weak new password is refused and the link still works', async ({ client, assert }) => {
    const mails = fakeMail()
    await createUser({ email: 'ada@example.com', password: 'old-password-1' })
    await requestReset(client, 'ada@example.com')
    await runJobs(['send_notification'])
    const { path } = linkIn(mails, 'ada@example.com')

    const weak = await client.post(path).withCsrfToken().form({ password: 'short1' }).redirects(0)
    weak.assertStatus(302)
    assert.property(weak.flashMessage('inputErrorsBag'), 'password')
    assert.isTrue(await canLogIn('ada@example.com', 'old-password-1'))
    const still = await client.get(path)
    still.assertStatus(200)
  })

  test('requests are throttled per address and per IP, with the wait in seconds', async ({
    client,
    assert,
  }) => {
    await createUser({ email: 'ada@example.com' })

    for (let attempt = 0; attempt < 3; attempt++) {
      const allowed = await requestReset(client, 'ada@example.com')
      assert.match(allowed.flashMessage('success'), SENT)
    }
    const blocked = await requestReset(client, 'ada@example.com')
    blocked.assertStatus(302)
    assert.match(
      blocked.flashMessage('error'),
      /^Too many reset requests\. Try again in \d+ seconds\.$/
    )
    assert.lengthOf(await db.from('password_reset_tokens'), 3)

    // Other addresses from the same IP: 10 requests in all, then blocked too
    for (let attempt = 0; attempt < 6; attempt++) {
      const allowed = await requestReset(client, `someone${attempt}@example.com`)
      assert.match(allowed.flashMessage('success'), SENT, `request ${attempt}`)
    }
    const byIp = await requestReset(client, 'someone-else@example.com')
    assert.match(byIp.flashMessage('error'), /Try again in \d+ seconds/)
  })
})

test.group('Password reset and sessions (database store)', (group) => {
  let restore: () => void
  group.each.setup(async () => {
    await truncateAllTables()
    restore = await useDatabaseSessions()
    return () => restore()
  })

  test('a reset ends every session of the user', async ({ assert }) => {
    const mails = fakeMail()
    await createUser({ email: 'ada@example.com', password: 'old-password-1' })
    const laptop = new Browser()
    await laptop.logIn('ada@example.com', 'old-password-1')
    const phone = new Browser()
    await phone.logIn('ada@example.com', 'old-password-1')
    const before = await laptop.get('/settings')
    assert.equal(before.status, 200)

    const guest = new Browser()
    await guest.submit('/forgot-password', '/forgot-password', { email: 'ada@example.com' })
    await runJobs(['send_notification'])
    const { path } = linkIn(mails, 'ada@example.com')
    const done = await guest.submit(path, path, { password: 'new-password-2' })
    assert.equal(done.status, 302)
    assert.equal(done.location, '/login')

    for (const browser of [laptop, phone]) {
      const page = await browser.get('/settings')
      assert.equal(page.status, 302)
      assert.equal(page.location, '/login')
    }
    const rows = await db.from('sessions').whereNotNull('user_id')
    assert.lengthOf(rows, 0)
  })
})
