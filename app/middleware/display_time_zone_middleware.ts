import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { withTimeZone } from '#services/time_zone'

/**
 * The request's pages show times in the logged-in user's time zone (UTC for
 * guests). Runs after silent_auth, which found the user.
 */
export default class DisplayTimeZoneMiddleware {
  handle(ctx: HttpContext, next: NextFn) {
    return withTimeZone(ctx.auth.user?.timeZone, () => next())
  }
}
