import { test } from '@japa/runner'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'

test.group('Security headers', (group) => {
  group.each.setup(() => truncateAllTables())

  test('every response sends a Referrer-Policy and a Permissions-Policy that denies unused features', async ({
    client,
    assert,
  }) => {
    for (const path of ['/', '/services', '/login', '/css/app.css', '/no-such-page']) {
      const response = await client.get(path)
      assert.equal(response.header('referrer-policy'), 'strict-origin-when-cross-origin', path)
      const policy = String(response.header('permissions-policy'))
      for (const feature of ['camera', 'microphone', 'geolocation', 'payment', 'usb']) {
        assert.include(policy, `${feature}=()`, `${path}: ${feature}`)
      }
    }
  })

  test('pages of a signed-in user are never stored; public pages for guests may be', async ({
    client,
    assert,
  }) => {
    const employer = await createUser({ role: 'employer' })
    const contractor = await createUser({ role: 'contractor' })
    for (const [user, path, status] of [
      [employer, '/orders', 200],
      [employer, '/services', 200],
      [employer, '/', 200],
      [employer, '/orders/999999', 404],
      [contractor, '/my/services', 200],
      [contractor, '/cards', 403],
    ] as const) {
      const response = await client.get(path).loginAs(user)
      response.assertStatus(status)
      assert.equal(response.header('cache-control'), 'no-store', path)
    }

    const guest = await client.get('/services')
    assert.notEqual(guest.header('cache-control'), 'no-store')
  })

  test('after logging out, the orders page is not served from anywhere but the login', async ({
    client,
  }) => {
    const employer = await createUser({ role: 'employer' })
    const out = await client.post('/logout').loginAs(employer).withCsrfToken().redirects(0)
    out.assertHeader('location', '/login')
    const orders = await client.get('/orders').withSession(out.session()).redirects(0)
    orders.assertStatus(302)
    orders.assertHeader('location', '/login')
  })
})
