import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { setLogUser } from '#services/log_context'

/**
 * Finds out who is logged in (if anyone) on every request, so layouts can
 * show the right navigation (and log lines name the user).
 */
export default class SilentAuthMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    await ctx.auth.check()
    setLogUser(ctx.auth.user?.id)
    return next()
  }
}
