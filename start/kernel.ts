/*
|--------------------------------------------------------------------------
| HTTP kernel
|--------------------------------------------------------------------------
*/
import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'

server.errorHandler(() => import('#exceptions/handler'))

/**
 * Run on every request, even when no route matches.
 */
server.use([
  () => import('#middleware/request_context_middleware'),
  () => import('#middleware/container_bindings_middleware'),
  () => import('#middleware/security_headers_middleware'),
  () => import('@adonisjs/static/static_middleware'),
])

/**
 * Run on every request that matches a route.
 */
/*
| Every route: the body parser (Stripe's webhook needs the raw body) and the
| refusal of uploads a route does not take.
*/
router.use([
  () => import('@adonisjs/core/bodyparser_middleware'),
  () => import('#middleware/discard_uploads_middleware'),
])

/*
| The pages' stack (start/routes.ts applies it, in this order, to every route
| but the machine-facing ones: Stripe's webhook, /health and /metrics, which
| would otherwise each write a new session row with its CSRF secret).
*/
export const middleware = router.named({
  session: () => import('@adonisjs/session/session_middleware'),
  // Built once (the package rebuilds it per request): middleware/shield_middleware.ts
  shield: () => import('#middleware/shield_middleware'),
  initializeAuth: () => import('@adonisjs/auth/initialize_auth_middleware'),
  initializeBouncer: () => import('#middleware/initialize_bouncer_middleware'),
  silentAuth: () => import('#middleware/silent_auth_middleware'),
  displayTimeZone: () => import('#middleware/display_time_zone_middleware'),
  noStoreWhenSignedIn: () => import('#middleware/no_store_when_signed_in_middleware'),
  guest: () => import('#middleware/guest_middleware'),
  auth: () => import('#middleware/auth_middleware'),
  role: () => import('#middleware/role_middleware'),
})
