import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'

/**
 * Pages shown to a signed-in user are never stored by the browser or a
 * proxy: after logging out, Back must not show the orders page from the
 * cache. Runs after silent auth, so it knows who is signed in; set before
 * the page is made, so error pages get it too.
 */
export default class NoStoreWhenSignedInMiddleware {
  handle({ auth, response }: HttpContext, next: NextFn) {
    if (auth.isAuthenticated) {
      response.header('Cache-Control', 'no-store')
    }
    return next()
  }
}
