import app from '@adonisjs/core/services/app'
import { type HttpContext, ExceptionHandler } from '@adonisjs/core/http'
import type { StatusPageRange, StatusPageRenderer } from '@adonisjs/core/types/http'
import { DomainError } from '#exceptions/domain_error'

export default class HttpExceptionHandler extends ExceptionHandler {
  /** Stack traces only on a developer's machine */
  protected debug = app.inDev

  /** Friendly pages everywhere else, tests included, so they are tested */
  protected renderStatusPages = !app.inDev

  protected statusPages: Record<StatusPageRange, StatusPageRenderer> = {
    '403': (_, { view }) => view.render('pages/errors/forbidden'),
    '404': (_, { view }) => view.render('pages/errors/not_found'),
    '413': (_, { view }) => view.render('pages/errors/too_large'),
    '500..599': (_, { view }) => view.render('pages/errors/server_error'),
  }

  async handle(error: unknown, ctx: HttpContext) {
    if (error instanceof DomainError) {
      return this.renderDomainError(error, ctx)
    }
    return super.handle(error, ctx)
  }

  /**
   * The one place a refused operation becomes a response: JSON clients get
   * the status and the message; pages get a 404 or 403 page, or the message
   * flashed on the page the form was sent from.
   */
  protected async renderDomainError(error: DomainError, ctx: HttpContext) {
    // The machine routes (webhook, health, metrics) have no session to flash on
    if (ctx.request.accepts(['html', 'json']) === 'json' || !ctx.session) {
      return ctx.response
        .status(error.status)
        .send({ error: error.message, kind: error.kind, retryable: error.retryable })
    }
    if (error.kind === 'not_found') {
      return ctx.response.status(404).send(await ctx.view.render('pages/errors/not_found'))
    }
    if (error.kind === 'forbidden') {
      const page = await ctx.view.render('pages/errors/forbidden', { message: error.message })
      return ctx.response.status(403).send(page)
    }
    ctx.session.flash('error', error.message)
    return ctx.response.redirect().back()
  }

  async report(error: unknown, ctx: HttpContext) {
    if (error instanceof DomainError) {
      return
    }
    return super.report(error, ctx)
  }
}
