import app from '@adonisjs/core/services/app'
import { configProvider } from '@adonisjs/core'
import { SessionCollection, defineConfig } from '@adonisjs/session'
import SessionMiddleware from '@adonisjs/session/session_middleware'
import { sessionSettings, sessionStores } from '#config/session'

/**
 * The app uses the database session store (as outside tests) until the
 * returned function is called. Tests otherwise use the memory store, which
 * the API client's loginAs() writes to.
 */
export async function useDatabaseSessions() {
  const config = await configProvider.resolve<any>(
    app,
    defineConfig({ ...sessionSettings, store: 'database', stores: sessionStores })
  )
  const emitter = await app.container.make('emitter')
  app.container.swap(SessionMiddleware, () => new SessionMiddleware(config, emitter))
  app.container.swap(SessionCollection, () => new SessionCollection(config))
  return () => {
    app.container.restore(SessionMiddleware)
    app.container.restore(SessionCollection)
  }
}

export interface Page {
  status: number
  location: string | null
  text: string
}

/**
 * A browser: plain HTTP to the test server, keeping its cookies, filling
 * CSRF fields from the forms it loaded. Cookies can be copied to another
 * browser (a stolen or copied session cookie).
 */
export class Browser {
  cookies = new Map<string, string>()

  get base() {
    return `http://${process.env.HOST}:${process.env.PORT}`
  }

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>) {
    const response = await fetch(new URL(path, this.base), {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookies.size
          ? { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') }
          : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    })
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';')
      const [name, ...value] = pair.split('=')
      const expired = attributes.some(
        (attribute) =>
          /^\s*max-age=0\s*$/i.test(attribute) ||
          (/^\s*expires=/i.test(attribute) &&
            new Date(attribute.split('=')[1]).getTime() < Date.now())
      )
      if (expired || value.join('=') === '') {
        this.cookies.delete(name.trim())
      } else {
        this.cookies.set(name.trim(), value.join('='))
      }
    }
    return {
      status: response.status,
      location: response.headers.get('location'),
      text: await response.text(),
    } satisfies Page
  }

  get(path: string) {
    return this.request('GET', path)
  }

  /** Loads the page with the form (for its CSRF token), then submits it */
  async submit(formPage: string, action: string, fields: Record<string, string>) {
    const page = await this.get(formPage)
    const token = /name='_csrf' value='([^']+)'/.exec(page.text)?.[1]
    if (!token) {
      throw new Error(`No CSRF field on ${formPage} (status ${page.status})`)
    }
    return this.request('POST', action, { ...fields, _csrf: token })
  }

  async logIn(email: string, password: string) {
    const page = await this.submit('/login', '/login', { email, password })
    if (page.status !== 302 || page.location !== '/') {
      throw new Error(`Login failed: ${page.status} ${page.location}`)
    }
    return page
  }

  /** Another browser holding the same cookies */
  copy() {
    const other = new Browser()
    other.cookies = new Map(this.cookies)
    return other
  }
}
