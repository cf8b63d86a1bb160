import { Exception } from '@adonisjs/core/exceptions'
import type { HttpContext } from '@adonisjs/core/http'

/**
 * A business operation refused, with a message a person can act on:
 * 403 wrong party, 404 unknown, 409 wrong state, 422 bad input, 402 declined,
 * 503 Stripe unreachable. Web requests get a 403/404 page, or the message
 * flashed on the page they came from (JSON clients get the status code and
 * the message); console commands print it on one line.
 */
export class ActionError extends Exception {
  constructor(message: string, status: 402 | 403 | 404 | 409 | 422 | 503 = 422) {
    super(message, { status, code: 'E_ACTION' })
  }

  async handle(error: this, ctx: HttpContext) {
    if (ctx.request.accepts(['html', 'json']) === 'json') {
      return ctx.response.status(error.status).send({ error: error.message })
    }
    if (error.status === 404) {
      return ctx.response.status(404).send(await ctx.view.render('pages/errors/not_found'))
    }
    if (error.status === 403) {
      const page = await ctx.view.render('pages/errors/forbidden', { message: error.message })
      return ctx.response.status(403).send(page)
    }
    ctx.session.flash('error', error.message)
    return ctx.response.redirect().back()
  }
}
