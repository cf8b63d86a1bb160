import { test } from '@japa/runner'
import User from '#models/user'
import UserProfile from '#models/user_profile'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'
import { followRedirect } from '#tests/helpers/http'

const WRONG_CREDENTIALS =
  'That email and password do not match an account. Check them and try again.'

const validSignup = {
  full_name: 'Ada Lovelace',
  email: 'ada@example.com',
  password: 'analytical-engine-1843',
  role: 'employer',
}

test.group('Signup', (group) => {
  group.each.setup(() => truncateAllTables())

  test('signs up as {role}')
    .with([{ role: 'employer' }, { role: 'contractor' }] as const)
    .run(async ({ client, assert }, { role }) => {
      const response = await client
        .post('/signup')
        .withCsrfToken()
        .form({ ...validSignup, email: `${role}@example.com`, role })
        .redirects(0)

      response.assertStatus(302)
      // A new contractor starts with onboarding; an employer at their home
      response.assertHeader('location', role === 'contractor' ? '/onboarding' : '/')
      const user = await User.findByOrFail('email', `${role}@example.com`)
      assert.equal(user.role, role)
      assert.equal(user.fullName, 'Ada Lovelace')
      assert.notEqual(user.password, validSignup.password, 'the password is stored hashed')
      const profile = await UserProfile.findByOrFail('userId', user.id)
      assert.equal(profile.userId, user.id)

      const home = await followRedirect(client, response)
      home.assertTextIncludes('Welcome to Crewpay, Ada Lovelace.')
      home.assertTextIncludes(role === 'contractor' ? 'Get paid on Crewpay' : 'Needs you')
    })

  test('shows the signup and login forms', async ({ client }) => {
    const signup = await client.get('/signup')
    signup.assertStatus(200)
    signup.assertTextIncludes('name="full_name"')
    signup.assertTextIncludes('name="role" value="contractor"')
    signup.assertTextIncludes("name='_csrf'")

    const login = await client.get('/login')
    login.assertStatus(200)
    login.assertTextIncludes('name="password"')
  })

  test('refuses an email already registered in another case', async ({ client, assert }) => {
    await createUser({ email: 'ada@example.com' })

    const response = await client
      .post('/signup')
      .withCsrfToken()
      .form({ ...validSignup, email: 'ADA@Example.COM' })
      .redirects(0)

    response.assertStatus(302)
    assert.deepEqual(response.flashMessage('inputErrorsBag').email, [
      'This email is already registered.',
    ])
    assert.lengthOf(await User.all(), 1)
  })

  test('refuses a weak password', async ({ client, assert }) => {
    for (const password of ['short1', 'onlyletterslong', '12345678901']) {
      const response = await client
        .post('/signup')
        .withCsrfToken()
        .form({ ...validSignup, password })
        .redirects(0)
      response.assertStatus(302)
      assert.property(response.flashMessage('inputErrorsBag'), 'password', password)
    }
    assert.lengthOf(await User.all(), 0)
  })

  test('refuses the most common passwords, whatever their case', async ({ client, assert }) => {
    for (const password of ['password123', 'Password123', 'qwerty12345', '1q2w3e4r5t']) {
      const response = await client
        .post('/signup')
        .withCsrfToken()
        .form({ ...validSignup, password })
        .redirects(0)
      response.assertStatus(302)
      response.assertHeader('location', '/signup')
      assert.match(
        String(response.flashMessage('inputErrorsBag').password),
        /one of the most common/,
        password
      )
    }
    assert.lengthOf(await User.all(), 0)

    // A password of the same shape that is not on the list is fine
    const accepted = await client
      .post('/signup')
      .withCsrfToken()
      .form({ ...validSignup, password: 'plumb-bob-7731' })
      .redirects(0)
    accepted.assertHeader('location', '/')
    assert.lengthOf(await User.all(), 1)
  })

  test('refuses an invalid email', async ({ client, assert }) => {
    const response = await client
      .post('/signup')
      .withCsrfToken()
      .form({ ...validSignup, email: 'not-an-email' })
      .redirects(0)

    assert.deepEqual(response.flashMessage('inputErrorsBag').email, [
      'Enter a valid email address.',
    ])
    assert.lengthOf(await User.all(), 0)
  })

  test('never creates an admin from the public form', async ({ client, assert }) => {
    const response = await client
      .post('/signup')
      .withCsrfToken()
      .form({ ...validSignup, role: 'admin' })
      .redirects(0)

    assert.deepEqual(response.flashMessage('inputErrorsBag').role, [
      'Choose employer or contractor.',
    ])
    assert.lengthOf(await User.all(), 0)
  })

  test('shows validation errors inline on the form', async ({ client }) => {
    const response = await client
      .post('/signup')
      .withCsrfToken()
      .header('referer', '/signup')
      .form({ ...validSignup, email: 'nope', password: 'x' })
      .redirects(0)
    const page = await followRedirect(client, response)

    page.assertStatus(200)
    page.assertTextIncludes('Enter a valid email address.')
    page.assertTextIncludes('The password must be at least 10 characters long.')
    // The form keeps what was typed, except the password
    page.assertTextIncludes('value="Ada Lovelace"')
  })

  test('renders script tags in names escaped', async ({ client, assert }) => {
    const response = await client
      .post('/signup')
      .withCsrfToken()
      .form({ ...validSignup, full_name: '<script>alert(1)</script>' })
      .redirects(0)
    const page = await followRedirect(client, response)

    page.assertStatus(200)
    assert.include(page.text(), '&lt;script&gt;alert(1)&lt;/script&gt;')
    assert.notInclude(page.text(), '<script>alert(1)</script>')
  })

  test('one IP gets 10 signup attempts an hour, then a message and no account', async ({
    client,
    assert,
  }) => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const response = await client
        .post('/signup')
        .withCsrfToken()
        .form({ ...validSignup, email: `not-an-email-${attempt}` })
        .redirects(0)
      assert.property(response.flashMessage('inputErrorsBag'), 'email')
    }

    const blocked = await client.post('/signup').withCsrfToken().form(validSignup).redirects(0)
    blocked.assertStatus(302)
    blocked.assertHeader('location', '/signup')
    assert.match(
      String(blocked.flashMessage('error')),
      /^Too many sign-up attempts from your network\. Try again in \d+ seconds\.$/
    )
    assert.lengthOf(await User.all(), 0)
    const page = await followRedirect(client, blocked)
    page.assertTextIncludes('Too many sign-up attempts')
    page.assertTextIncludes('value="Ada Lovelace"')
  })

  test('refuses a form without its CSRF token', async ({ client, assert }) => {
    const response = await client.post('/signup').form(validSignup).redirects(0)

    response.assertStatus(302)
    assert.equal(response.flashMessage('error'), 'Invalid or expired CSRF token')
    assert.lengthOf(await User.all(), 0)
    // Shown once, in our words (the framework flashes its own twice)
    const page = await followRedirect(client, response)
    const ours = 'This page was open too long, so nothing was sent.'
    assert.equal(page.text().split(ours).length - 1, 1)
    assert.notInclude(page.text(), 'Invalid or expired CSRF token')
  })
})

test.group('Login and logout', (group) => {
  group.each.setup(() => truncateAllTables())

  test('logs in with the right password', async ({ client }) => {
    await createUser({ email: 'ada@example.com', password: 'analytical-engine-1843' })

    const response = await client
      .post('/login')
      .withCsrfToken()
      .form({ email: 'Ada@Example.com', password: 'analytical-engine-1843' })
      .redirects(0)
    response.assertHeader('location', '/')
    const page = await followRedirect(client, response)

    // The employer's home
    page.assertTextIncludes('Needs you')
    page.assertTextIncludes('Log out')
  })

  test('refuses a wrong password', async ({ client, assert }) => {
    await createUser({ email: 'ada@example.com', password: 'analytical-engine-1843' })

    const response = await client
      .post('/login')
      .withCsrfToken()
      .form({ email: 'ada@example.com', password: 'wrong-password-1' })
      .redirects(0)

    response.assertStatus(302)
    assert.equal(response.flashMessage('error'), WRONG_CREDENTIALS)
    const page = await followRedirect(client, response)
    // Once, in our words, with the email kept
    assert.equal(page.text().split(WRONG_CREDENTIALS).length - 1, 1)
    assert.notInclude(page.text(), 'Invalid user credentials')
    page.assertTextIncludes('value="ada@example.com"')
  })

  test('throttles after five failures and says when to retry', async ({ client, assert }) => {
    await createUser({ email: 'ada@example.com', password: 'analytical-engine-1843' })

    for (let attempt = 1; attempt <= 5; attempt++) {
      const response = await client
        .post('/login')
        .withCsrfToken()
        .form({ email: 'ada@example.com', password: `wrong-password-${attempt}` })
        .redirects(0)
      assert.equal(response.flashMessage('error'), WRONG_CREDENTIALS)
    }

    // Even the right password is refused while blocked
    const blocked = await client
      .post('/login')
      .withCsrfToken()
      .form({ email: 'ada@example.com', password: 'analytical-engine-1843' })
      .redirects(0)

    blocked.assertStatus(302)
    assert.match(
      String(blocked.flashMessage('error')),
      /^Too many failed login attempts\. Try again in \d+ seconds\.$/
    )
    const page = await followRedirect(client, blocked)
    page.assertTextIncludes('Too many failed login attempts.')
  })

  test('one IP trying many emails is blocked after 20 failures, even with a right password', async ({
    client,
    assert,
  }) => {
    await createUser({ email: 'ada@example.com', password: 'analytical-engine-1843' })

    for (let attempt = 1; attempt <= 20; attempt++) {
      const response = await client
        .post('/login')
        .withCsrfToken()
        .form({ email: `victim${attempt}@example.com`, password: 'Summer2026!' })
        .redirects(0)
      assert.equal(response.flashMessage('error'), WRONG_CREDENTIALS, `attempt ${attempt}`)
    }

    // No Referer: back to the login form itself, with the message and the email kept
    const blocked = await client
      .post('/login')
      .withCsrfToken()
      .form({ email: 'ada@example.com', password: 'analytical-engine-1843' })
      .redirects(0)
    blocked.assertStatus(302)
    blocked.assertHeader('location', '/login')
    assert.match(
      String(blocked.flashMessage('error')),
      /^Too many failed login attempts\. Try again in \d+ seconds\.$/
    )
    const page = await followRedirect(client, blocked)
    page.assertTextIncludes('Too many failed login attempts.')
    page.assertTextIncludes('value="ada@example.com"')
    assert.notInclude(page.text(), 'analytical-engine-1843')
  })

  test("a success on one's own account does not reset the count of one IP's failures", async ({
    client,
    assert,
  }) => {
    await createUser({ email: 'ada@example.com', password: 'analytical-engine-1843' })
    const login = (email: string, password: string) =>
      client.post('/login').withCsrfToken().form({ email, password }).redirects(0)

    for (let attempt = 1; attempt <= 19; attempt++) {
      await login(`victim${attempt}@example.com`, 'Summer2026!')
    }
    const own = await login('ada@example.com', 'analytical-engine-1843')
    own.assertHeader('location', '/')

    const twentieth = await login('victim20@example.com', 'Summer2026!')
    assert.equal(twentieth.flashMessage('error'), WRONG_CREDENTIALS)
    const blocked = await login('ada@example.com', 'analytical-engine-1843')
    assert.match(String(blocked.flashMessage('error')), /^Too many failed login attempts\./)
  })

  test('logs out', async ({ client, assert }) => {
    const user = await createUser({ email: 'ada@example.com' })

    const response = await client.post('/logout').loginAs(user).withCsrfToken().redirects(0)
    response.assertStatus(302)
    response.assertHeader('location', '/login')

    const page = await followRedirect(client, response)
    page.assertTextIncludes('You are logged out.')
    assert.notInclude(page.text(), 'Log out')
  })

  test('guests cannot log out and users cannot see the signup form', async ({ client }) => {
    const guest = await client.post('/logout').withCsrfToken().redirects(0)
    guest.assertStatus(302)
    guest.assertHeader('location', '/login')

    const user = await createUser({ email: 'ada@example.com' })
    const signup = await client.get('/signup').loginAs(user).redirects(0)
    signup.assertStatus(302)
    signup.assertHeader('location', '/')
  })
})
