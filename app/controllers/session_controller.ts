import type { HttpContext } from '@adonisjs/core/http'
import limiter from '@adonisjs/limiter/services/main'
import { loginValidator } from '#validators/auth'
import User from '#models/user'
import { tagSession } from '#services/sessions'

/**
 * Five failed logins per email and IP within a minute block that pair for a
 * minute; a success clears the counter.
 */
const loginLimiter = () =>
  limiter.use({ requests: 5, duration: '1 minute', blockDuration: '1 minute' })

export default class SessionController {
  async create({ view }: HttpContext) {
    return view.render('pages/auth/login')
  }

  async store({ request, auth, session, response }: HttpContext) {
    const { email, password } = await request.validateUsing(loginValidator)
    const key = `login:${email}:${request.ip()}`

    const [throttled, user] = await loginLimiter().penalize(key, () =>
      User.verifyCredentials(email, password)
    )
    if (throttled) {
      session.flashExcept(['password'])
      session.flash(
        'error',
        `Too many failed login attempts. Try again in ${throttled.response.availableIn} seconds.`
      )
      return response.redirect().back()
    }

    await auth.use('web').login(user)
    await tagSession(session, user)
    return response.redirect('/')
  }

  /** The server-side session is dropped (a new id carries the flash message) */
  async destroy({ auth, session, response }: HttpContext) {
    await auth.use('web').logout()
    session.clear()
    session.regenerate()
    session.flash('success', 'You are logged out.')
    return response.redirect('/login')
  }
}
