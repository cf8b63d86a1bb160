/*
|--------------------------------------------------------------------------
| Routes: the public URL contract of DESIGN.md
|--------------------------------------------------------------------------
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'

const SignupController = () => import('#controllers/signup_controller')
const SessionController = () => import('#controllers/session_controller')
const HealthController = () => import('#controllers/health_controller')
const StripeWebhooksController = () => import('#controllers/stripe_webhooks_controller')

router.on('/').render('pages/home').as('home')
router.get('/health', [HealthController, 'show']).as('health')
router.post('/stripe/webhook', [StripeWebhooksController, 'store']).as('stripe.webhook')

router
  .group(() => {
    router.get('/signup', [SignupController, 'create']).as('signup.create')
    router.post('/signup', [SignupController, 'store']).as('signup.store')
    router.get('/login', [SessionController, 'create']).as('session.create')
    router.post('/login', [SessionController, 'store']).as('session.store')
  })
  .use(middleware.guest())

/*
| Cards (employers only). Others' cards are 404.
*/
const CardsController = () => import('#controllers/cards_controller')

router
  .group(() => {
    router.get('/cards', [CardsController, 'index']).as('cards.index')
    router.post('/cards', [CardsController, 'store']).as('cards.store')
    router.post('/cards/:id/default', [CardsController, 'makeDefault']).as('cards.default')
    router.delete('/cards/:id', [CardsController, 'destroy']).as('cards.destroy')
  })
  .use([middleware.auth(), middleware.role({ roles: ['employer'] })])

router
  .group(() => {
    router.post('/logout', [SessionController, 'destroy']).as('session.destroy')
  })
  .use(middleware.auth())
