import type { HttpContext } from '@adonisjs/core/http'
import { errors as authErrors } from '@adonisjs/auth'
import { loginValidator } from '#validators/auth'
import { loginThrottle, tryAgainMessage } from '#services/auth_throttles'
import User from '#models/user'
import { tagSession } from '#services/sessions'
import { prefilledEmail } from '#validators/auth'
import { inOurWords } from '#services/notices'

export default class SessionController {
  /** `?email=` fills the address in (a payment request's link sends guests here) */
  async create({ request, view }: HttpContext) {
    return view.render('pages/auth/login', { prefill: prefilledEmail(request.qs()) })
  }

  /**
   * Throttled per email + IP and per IP (see auth_throttles): while either
   * is blocked even the right password is refused, with when to retry.
   */
  async store({ request, auth, session, response }: HttpContext) {
    const { email, password } = await request.validateUsing(loginValidator)
    const ip = request.ip()

    const wait = await loginThrottle.waitFor(email, ip)
    if (wait !== null) {
      session.flashExcept(['password', '_csrf'])
      session.flash('error', tryAgainMessage('Too many failed login attempts.', wait))
      return response.redirect().back()
    }

    let user: User
    try {
      user = await User.verifyCredentials(email, password)
    } catch (error) {
      if (!(error instanceof authErrors.E_INVALID_CREDENTIALS)) {
        throw error
      }
      await loginThrottle.failed(email, ip)
      // One message, in our words (the framework flashes its own twice)
      session.flashExcept(['password', '_csrf'])
      session.flash('error', inOurWords(error.message, 'E_INVALID_CREDENTIALS'))
      return response.redirect().back()
    }
    await loginThrottle.succeeded(email, ip)

    await auth.use('web').login(user)
    await tagSession(session, user)
    // The page a guest was sent here from (a payment link, an order), else their home
    return response.redirect().toIntended('/')
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
