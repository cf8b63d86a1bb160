import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type { Role } from '#models/user'

/**
 * Employer pages refuse contractors and vice versa. Runs after `auth`.
 */
export default class RoleMiddleware {
  async handle(ctx: HttpContext, next: NextFn, options: { roles: Role[] }) {
    const user = ctx.auth.getUserOrFail()
    if (!options.roles.includes(user.role)) {
      const message =
        user.role === 'admin'
          ? 'Admins work from the console, not from these pages: your home page lists the commands.'
          : `This page is for ${options.roles.join(' or ')} accounts.`
      return ctx.response
        .status(403)
        .send(
          ctx.request.accepts(['html', 'json']) === 'json'
            ? { error: message }
            : await ctx.view.render('pages/errors/forbidden', { message })
        )
    }
    return next()
  }
}
