import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import app from '@adonisjs/core/services/app'
import ShieldMiddleware from '@adonisjs/shield/shield_middleware'

/*
| @adonisjs/shield binds its middleware with `container.bind`: every request
| built it again (reading the config, importing edge.js, making the CSRF,
| CSP and header guards: 6–15% of a page in issue 18's profiles). Its guards
| keep no per-request state, so one is built, on the first request, and
| used for all.
*/
let shield: Promise<ShieldMiddleware> | undefined

export default class OnceShieldMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    shield ??= app.container.make(ShieldMiddleware)
    const middleware = await shield
    return middleware.handle(ctx, next)
  }
}
