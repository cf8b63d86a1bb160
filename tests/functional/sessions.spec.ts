import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'
import { Browser, useDatabaseSessions } from '#tests/helpers/sessions'
import { forgetTouches, TOUCH_AFTER_MS } from '#services/session_store'

test.group('Sessions in the database', (group) => {
  let restore: () => void
  group.each.setup(async () => {
    await truncateAllTables()
    restore = await useDatabaseSessions()
    return () => restore()
  })

  test('logging out deletes the session: a copied cookie stops working', async ({ assert }) => {
    const user = await createUser({ email: 'ada@example.com', password: 'password-1234' })
    const browser = new Browser()
    await browser.logIn('ada@example.com', 'password-1234')
    const rows = await db.from('sessions').where('user_id', String(user.id))
    assert.lengthOf(rows, 1)
    assert.notInclude(rows[0].data, 'password-1234')

    const thief = browser.copy()
    const stolen = await thief.get('/settings')
    assert.equal(stolen.status, 200)

    const out = await browser.submit('/settings', '/logout', {})
    assert.equal(out.location, '/login')
    assert.lengthOf(await db.from('sessions').where('id', rows[0].id), 0)

    const stale = await thief.get('/settings')
    assert.equal(stale.status, 302)
    assert.equal(stale.location, '/login')
    const again = await browser.get('/settings')
    assert.equal(again.location, '/login')
  })

  test('"log out of other sessions" ends them all but this one', async ({ assert }) => {
    await createUser({ email: 'ada@example.com', password: 'password-1234' })
    const other = await createUser({ email: 'bob@example.com', password: 'password-1234' })
    const laptop = new Browser()
    await laptop.logIn('ada@example.com', 'password-1234')
    const phone = new Browser()
    await phone.logIn('ada@example.com', 'password-1234')
    const tablet = new Browser()
    await tablet.logIn('ada@example.com', 'password-1234')
    const bob = new Browser()
    await bob.logIn('bob@example.com', 'password-1234')

    const settings = await laptop.get('/settings')
    assert.include(settings.text, 'data-other-sessions="2"')

    const done = await laptop.submit('/settings', '/settings/sessions/logout-others', {})
    assert.equal(done.location, '/settings')
    const after = await laptop.get('/settings')
    assert.equal(after.status, 200)
    assert.include(after.text, 'Logged out of 2 other session(s).')
    assert.include(after.text, 'data-other-sessions="0"')

    for (const browser of [phone, tablet]) {
      const ended = await browser.get('/settings')
      assert.equal(ended.location, '/login')
    }
    // Someone else's session is not touched
    const bobs = await bob.get('/settings')
    assert.equal(bobs.status, 200)
    assert.lengthOf(await db.from('sessions').where('user_id', String(other.id)), 1)
  })

  test('the logout-others form needs a logged-in user and a CSRF token', async ({ assert }) => {
    const guest = new Browser()
    const refused = await guest.request('POST', '/settings/sessions/logout-others', {})
    assert.equal(refused.status, 302)
    // Back to the form's page, which sends a guest to log in
    const next = await guest.get(refused.location!)
    assert.equal(next.location, '/login')
  })

  test('a page view pushes the session expiry forward at most every few minutes', async ({
    assert,
  }) => {
    await createUser({ email: 'ada@example.com', password: 'password-1234' })
    const browser = new Browser()
    await browser.logIn('ada@example.com', 'password-1234')
    const [row] = await db.from('sessions')
    // As if the session had been written an hour ago
    const anHourLeft = new Date(Date.now() + 60 * 60 * 1000)
    await db.from('sessions').where('id', row.id).update({ expires_at: anHourLeft })

    // Written moments ago by this process: no UPDATE on the next views
    const soon = await browser.get('/settings')
    assert.equal(soon.status, 200)
    const [untouched] = await db.from('sessions').where('id', row.id)
    assert.equal(new Date(untouched.expires_at).getTime(), anHourLeft.getTime())

    // Once TOUCH_AFTER_MS has passed (or on another process), the view pushes it to two hours
    forgetTouches()
    const later = await browser.get('/settings')
    assert.equal(later.status, 200)
    const [touched] = await db.from('sessions').where('id', row.id)
    const left = new Date(touched.expires_at).getTime() - Date.now()
    assert.isAbove(left, 2 * 60 * 60 * 1000 - TOUCH_AFTER_MS)
    assert.isAtMost(left, 2 * 60 * 60 * 1000)
  })

  test('the webhook, /health and /metrics carry no session: no cookie, no row', async ({
    assert,
  }) => {
    const base = `http://${process.env.HOST}:${process.env.PORT}`
    const answers = [
      await fetch(`${base}/stripe/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=forged' },
        body: JSON.stringify({ id: 'evt_forged', type: 'charge.refunded' }),
      }),
      await fetch(`${base}/health`),
      await fetch(`${base}/metrics`),
    ]
    for (const answer of answers) {
      assert.isBelow(answer.status, 500)
      assert.deepEqual(answer.headers.getSetCookie(), [], answer.url)
    }
    assert.lengthOf(await db.from('sessions'), 0)

    // A page does start a session (its forms carry a CSRF token)
    const page = await fetch(`${base}/login`)
    assert.equal(page.status, 200)
    assert.isNotEmpty(page.headers.getSetCookie())
    assert.lengthOf(await db.from('sessions'), 1)
  })
})
