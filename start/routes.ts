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
const OrdersController = () => import('#controllers/orders_controller')
const OnboardingController = () => import('#controllers/onboarding_controller')
const BalanceController = () => import('#controllers/balance_controller')

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
| Cards (employers only) and services: anyone browses what can be ordered,
| contractors manage their own. Others' cards and services are 404.
*/
const CardsController = () => import('#controllers/cards_controller')
const ServicesController = () => import('#controllers/services_controller')
const MyServicesController = () => import('#controllers/my_services_controller')

router.get('/services', [ServicesController, 'index']).as('services.index')
router
  .get('/services/:id', [ServicesController, 'show'])
  .as('services.show')
  .where('id', router.matchers.number())

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
    router.get('/my/services', [MyServicesController, 'index']).as('my_services.index')
    router.post('/my/services', [MyServicesController, 'store']).as('my_services.store')
    router
      .post('/my/services/:id/toggle', [MyServicesController, 'toggle'])
      .as('my_services.toggle')
      .where('id', router.matchers.number())
  })
  .use([middleware.auth(), middleware.role({ roles: ['contractor'] })])

router
  .group(() => {
    router.post('/logout', [SessionController, 'destroy']).as('session.destroy')
  })
  .use(middleware.auth())

/*
| The cart (employers): services gathered, then ordered and paid at once.
*/
const CartController = () => import('#controllers/cart_controller')
router
  .group(() => {
    router.get('/cart', [CartController, 'show']).as('cart.show')
    router.post('/cart/items', [CartController, 'add']).as('cart.add')
    router
      .post('/cart/items/:id/remove', [CartController, 'remove'])
      .as('cart.remove')
      .where('id', router.matchers.number())
    router.post('/cart/checkout', [CartController, 'checkout']).as('cart.checkout')
  })
  .use([middleware.auth(), middleware.role({ roles: ['employer'] })])

/*
| Orders: employers place, approve and cancel; contractors accept, decline and
| deliver. Others' orders are 404.
*/
router
  .group(() => {
    router.get('/orders', [OrdersController, 'index']).as('orders.index')
    router.get('/orders/:id', [OrdersController, 'show']).as('orders.show')
    router
      .post('/orders', [OrdersController, 'store'])
      .as('orders.store')
      .use(middleware.role({ roles: ['employer'] }))
    router.post('/orders/:id/retry', [OrdersController, 'retry']).as('orders.retry')
    router.post('/orders/:id/accept', [OrdersController, 'accept']).as('orders.accept')
    router.post('/orders/:id/decline', [OrdersController, 'decline']).as('orders.decline')
    router.post('/orders/:id/deliver', [OrdersController, 'deliver']).as('orders.deliver')
    router.post('/orders/:id/approve', [OrdersController, 'approve']).as('orders.approve')
    router.post('/orders/:id/cancel', [OrdersController, 'cancel']).as('orders.cancel')
    router.post('/orders/:id/lines/:line/accept', [OrdersController, 'accept']).as('lines.accept')
    router
      .post('/orders/:id/lines/:line/decline', [OrdersController, 'decline'])
      .as('lines.decline')
    router
      .post('/orders/:id/lines/:line/deliver', [OrdersController, 'deliver'])
      .as('lines.deliver')
    router
      .post('/orders/:id/lines/:line/approve', [OrdersController, 'approve'])
      .as('lines.approve')
    router.post('/orders/:id/lines/:line/cancel', [OrdersController, 'cancel']).as('lines.cancel')
  })
  .where('id', router.matchers.number())
  .where('line', router.matchers.number())
  .use([middleware.auth(), middleware.role({ roles: ['employer', 'contractor'] })])

/*
| Contractors: Connect onboarding and their own Stripe balance. Employers get 403.
*/
router
  .group(() => {
    router.get('/onboarding', [OnboardingController, 'show']).as('onboarding.show')
    router.post('/onboarding/details', [OnboardingController, 'details']).as('onboarding.details')
    router.post('/onboarding/terms', [OnboardingController, 'terms']).as('onboarding.terms')
    router
      .post('/onboarding/documents', [OnboardingController, 'documents'])
      .as('onboarding.documents')
    router.post('/onboarding/bank', [OnboardingController, 'bank']).as('onboarding.bank')
    router.get('/balance', [BalanceController, 'show']).as('balance.show')
  })
  .use([middleware.auth(), middleware.role({ roles: ['contractor'] })])
