import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type { Authenticators } from '@adonisjs/auth/types'
import { errors as authErrors } from '@adonisjs/auth'

export const LOGIN_TO_CONTINUE = 'Log in to see this page.'

/**
 * Pages for logged-in users: a guest is sent to the login page, once, with
 * our words, and the page they asked for is kept in the session (a GET
 * page only) so that logging in takes them there (a deep link survives
 * login). JSON clients get the 401.
 */
export default class AuthMiddleware {
  redirectTo = '/login'

  async handle(
    ctx: HttpContext,
    next: NextFn,
    options: { guards?: (keyof Authenticators)[] } = {}
  ) {
    try {
      await ctx.auth.authenticateUsing(options.guards, { loginRoute: this.redirectTo })
    } catch (error) {
      if (
        !(error instanceof authErrors.E_UNAUTHORIZED_ACCESS) ||
        ctx.request.accepts(['html', 'json']) === 'json'
      ) {
        throw error
      }
      ctx.session.flash('error', LOGIN_TO_CONTINUE)
      return ctx.response.redirect().withIntendedUrl().toPath(this.redirectTo)
    }
    return next()
  }
}
