import type { HttpContext } from '@adonisjs/core/http'
import limiter from '@adonisjs/limiter/services/main'
import { errors as limiterErrors } from '@adonisjs/limiter'
import { forgotPasswordValidator, resetPasswordValidator } from '#validators/auth'
import {
  isResetTokenValid,
  requestPasswordReset,
  resetPassword,
  RESET_TOKEN_MINUTES,
} from '#actions/users/password_reset'

/**
 * Reset requests: 3 per address and 10 per IP in 15 minutes (whether the
 * address exists or not, so the limit tells nothing either). Reset attempts:
 * 10 per IP in 15 minutes.
 */
const perEmail = () => limiter.use({ requests: 3, duration: '15 minutes' })
const perIp = () => limiter.use({ requests: 10, duration: '15 minutes' })

const SENT =
  `If an account uses that address, we sent it a link to choose a new password. ` +
  `The link works once, for ${RESET_TOKEN_MINUTES} minutes.`

/** Consumes one request of each limiter; the seconds to wait when one says no, else null */
async function throttled(keys: { limiter: ReturnType<typeof perIp>; key: string }[]) {
  for (const { limiter: limit, key } of keys) {
    try {
      await limit.consume(key)
    } catch (error) {
      if (error instanceof limiterErrors.E_TOO_MANY_REQUESTS) {
        return error.response.availableIn
      }
      throw error
    }
  }
  return null
}

export default class PasswordResetController {
  async create({ view }: HttpContext) {
    return view.render('pages/auth/forgot_password')
  }

  async store({ request, session, response }: HttpContext) {
    const { email } = await request.validateUsing(forgotPasswordValidator)
    const wait = await throttled([
      { limiter: perIp(), key: `password_reset:ip:${request.ip()}` },
      { limiter: perEmail(), key: `password_reset:email:${email}` },
    ])
    if (wait !== null) {
      session.flashOnly(['email'])
      session.flash('error', `Too many reset requests. Try again in ${wait} seconds.`)
      return response.redirect('/forgot-password')
    }
    await requestPasswordReset(email, request.ip())
    session.flash('success', SENT)
    return response.redirect('/forgot-password')
  }

  async edit({ params, view, response }: HttpContext) {
    if (!(await isResetTokenValid(String(params.token)))) {
      return response.status(410).send(await view.render('pages/auth/reset_link_expired'))
    }
    return view.render('pages/auth/reset_password', { token: params.token })
  }

  async update({ params, request, session, response, view }: HttpContext) {
    const token = String(params.token)
    const wait = await throttled([
      { limiter: perIp(), key: `password_reset:attempt:${request.ip()}` },
    ])
    if (wait !== null) {
      session.flash('error', `Too many attempts. Try again in ${wait} seconds.`)
      return response.redirect().back()
    }
    const { password } = await request.validateUsing(resetPasswordValidator)
    const user = await resetPassword(token, password, request.ip())
    if (!user) {
      return response.status(410).send(await view.render('pages/auth/reset_link_expired'))
    }
    session.flash(
      'success',
      'Your password was changed and every session was logged out. Log in with the new password.'
    )
    return response.redirect('/login')
  }
}
