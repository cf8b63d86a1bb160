import app from '@adonisjs/core/services/app'
import { type HttpContext, ExceptionHandler } from '@adonisjs/core/http'
import type { StatusPageRange, StatusPageRenderer } from '@adonisjs/core/types/http'

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
    return super.handle(error, ctx)
  }

  async report(error: unknown, ctx: HttpContext) {
    return super.report(error, ctx)
  }
}
