import { Redirect, Route, type HttpContext } from '@adonisjs/core/http'

/*
|--------------------------------------------------------------------------
| The page a form lives on
|--------------------------------------------------------------------------
|
| A refused form (validation errors, a bad CSRF token, wrong credentials, a
| throttle, a DomainError) is redirected "back": to the Referer. Browsers
| with strict privacy settings send none, and back then meant `/`, where the
| errors and what was typed are lost. A route declares the page its form is
| on (`.formPage('/signup')`), and "back" falls back to it when there is no
| Referer of our own.
|
*/

/** A path, or the path computed from the request (its params or fields) */
export type FormPage = string | ((ctx: HttpContext) => string)

const pages = new Map<string, FormPage>()

/** The form page declared for the route of this request, if any */
export function formPageOf(ctx: HttpContext): string | null {
  const name = ctx.route?.name
  const page = name ? pages.get(name) : undefined
  if (page === undefined) {
    return null
  }
  return typeof page === 'string' ? page : page(ctx)
}

Route.macro('formPage', function (this: Route, page: FormPage) {
  const name = this.getName()
  if (!name) {
    throw new Error('Name the route with .as() before declaring its form page')
  }
  pages.set(name, page)
  return this
})

// Chains with the session's own override (a URL kept in the session comes first)
const previousUrl = Redirect.prototype.getPreviousUrl
Redirect.macro('getPreviousUrl', function (this: Redirect, fallback: string) {
  const page = this.ctx ? formPageOf(this.ctx) : null
  return previousUrl.call(this, page ?? fallback)
})

declare module '@adonisjs/core/http' {
  interface Route {
    /** The page this route's form is on: where a refused submission goes without a Referer */
    formPage(page: FormPage): this
  }
}
