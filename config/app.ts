import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig } from '@adonisjs/core/http'
import proxyAddr from 'proxy-addr'

/**
 * The public URL of the app, used in links and for the webhook endpoint the
 * dev server registers with the Stripe sandbox.
 */
export const appUrl =
  env.get('APP_URL') || `http://${env.get('HOST', 'localhost')}:${env.get('PORT', 3333)}`

/**
 * Proxies whose X-Forwarded-For we believe (e.g. "loopback" or "10.0.0.0/8");
 * none by default, so request.ip() is the socket address. The IP recorded with
 * a contractor's ToS acceptance comes from here.
 */
const trustedProxies = (env.get('TRUSTED_PROXIES') || '')
  .split(',')
  .map((entry) => entry.trim())
  .filter(Boolean)

export const http = defineConfig({
  generateRequestId: true,
  allowMethodSpoofing: true,
  useAsyncLocalStorage: false,
  trustProxy: proxyAddr.compile(trustedProxies),
  cookie: {
    domain: '',
    path: '/',
    maxAge: '2h',
    httpOnly: true,
    secure: app.inProduction,
    sameSite: 'lax',
  },
})
