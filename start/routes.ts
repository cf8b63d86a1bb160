/*
|--------------------------------------------------------------------------
| Routes: the public URL contract of DESIGN.md
|--------------------------------------------------------------------------
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { isRecordId } from '#services/record_id'
// `.formPage()`: where a refused form goes back to when the browser sends no Referer
import '#services/form_pages'

const SignupController = () => import('#controllers/signup_controller')
const SessionController = () => import('#controllers/session_controller')
const HealthController = () => import('#controllers/health_controller')
const StripeWebhooksController = () => import('#controllers/stripe_webhooks_controller')
const OrdersController = () => import('#controllers/orders_controller')
const OnboardingController = () => import('#controllers/onboarding_controller')
const BalanceController = () => import('#controllers/balance_controller')
const PasswordResetController = () => import('#controllers/password_reset_controller')
const SettingsController = () => import('#controllers/settings_controller')
const MetricsController = () => import('#controllers/metrics_controller')

router.get('/health', [HealthController, 'show']).as('health')
router.get('/metrics', [MetricsController, 'show']).as('metrics')
router.post('/stripe/webhook', [StripeWebhooksController, 'store']).as('stripe.webhook')

/*
| The pages: everything people use, with their session, CSRF check and
| signed-in user (start/kernel.ts). The three routes above are for machines.
*/
router
  .group(() => {
    const HomeController = () => import('#controllers/home_controller')
    router.get('/', [HomeController, 'show']).as('home')

    router
      .group(() => {
        router.get('/signup', [SignupController, 'create']).as('signup.create')
        router.post('/signup', [SignupController, 'store']).as('signup.store').formPage('/signup')
        router.get('/login', [SessionController, 'create']).as('session.create')
        router.post('/login', [SessionController, 'store']).as('session.store').formPage('/login')
        router
          .get('/forgot-password', [PasswordResetController, 'create'])
          .as('password_reset.create')
        router
          .post('/forgot-password', [PasswordResetController, 'store'])
          .as('password_reset.store')
          .formPage('/forgot-password')
        router
          .get('/reset-password/:token', [PasswordResetController, 'edit'])
          .as('password_reset.edit')
        router
          .post('/reset-password/:token', [PasswordResetController, 'update'])
          .as('password_reset.update')
          .formPage(
            ({ params }: { params: Record<string, string> }) => `/reset-password/${params.token}`
          )
      })
      .use(middleware.guest())

    /*
| Cards (employers only) and services: anyone browses what can be ordered,
| contractors manage their own. Others' cards and services are 404.
*/
    const CardsController = () => import('#controllers/cards_controller')
    const ServicesController = () => import('#controllers/services_controller')
    const MyServicesController = () => import('#controllers/my_services_controller')

    const ContractorsController = () => import('#controllers/contractors_controller')

    router.get('/services', [ServicesController, 'index']).as('services.index')
    router
      .get('/services/:id', [ServicesController, 'show'])
      .as('services.show')
      .where('id', router.matchers.number())
    router
      .get('/contractors/:id', [ContractorsController, 'show'])
      .as('contractors.show')
      .where('id', router.matchers.number())

    router
      .group(() => {
        router.get('/cards', [CardsController, 'index']).as('cards.index')
        router.post('/cards', [CardsController, 'store']).as('cards.store').formPage('/cards')
        router
          .post('/cards/:id/default', [CardsController, 'makeDefault'])
          .as('cards.default')
          .formPage('/cards')
        router
          .delete('/cards/:id', [CardsController, 'destroy'])
          .as('cards.destroy')
          .formPage('/cards')
        // 3-D Secure when saving a card: to the bank's page (a link) and back
        router
          .get('/cards/authenticate/:setupIntent', [CardsController, 'authenticate'])
          .as('cards.authenticate')
        router
          .get('/cards/authenticated', [CardsController, 'authenticated'])
          .as('cards.authenticated')
      })
      .use([middleware.auth(), middleware.role({ roles: ['employer'] })])

    /*
| Bank accounts (ACH Direct Debit): on the same payment methods page as the
| cards. Another employer's bank account is a 404.
*/
    const BankAccountsController = () => import('#controllers/bank_accounts_controller')
    router
      .group(() => {
        router.get('/bank-accounts', [BankAccountsController, 'index']).as('bank_accounts.index')
        router
          .post('/bank-accounts', [BankAccountsController, 'store'])
          .as('bank_accounts.store')
          .formPage('/bank-accounts')
        // Real Stripe: the SetupIntent Stripe.js links the account with (JSON)
        router
          .post('/bank-accounts/collect', [BankAccountsController, 'collect'])
          .as('bank_accounts.collect')
          .formPage('/bank-accounts')
        router
          .post('/bank-accounts/:id/verify', [BankAccountsController, 'verify'])
          .as('bank_accounts.verify')
          .where('id', router.matchers.number())
          .formPage('/bank-accounts')
        router
          .post('/bank-accounts/:id/default', [BankAccountsController, 'makeDefault'])
          .as('bank_accounts.default')
          .where('id', router.matchers.number())
          .formPage('/bank-accounts')
        router
          .delete('/bank-accounts/:id', [BankAccountsController, 'destroy'])
          .as('bank_accounts.destroy')
          .where('id', router.matchers.number())
          .formPage('/bank-accounts')
      })
      .use([middleware.auth(), middleware.role({ roles: ['employer'] })])

    router
      .group(() => {
        router.get('/my/services', [MyServicesController, 'index']).as('my_services.index')
        router
          .post('/my/services', [MyServicesController, 'store'])
          .as('my_services.store')
          .formPage('/my/services')
        router
          .post('/my/services/:id/toggle', [MyServicesController, 'toggle'])
          .as('my_services.toggle')
          .formPage('/my/services')
        router.get('/my/services/:id/edit', [MyServicesController, 'edit']).as('my_services.edit')
        router
          .post('/my/services/:id/edit', [MyServicesController, 'update'])
          .as('my_services.update')
          .formPage(({ params }) => `/my/services/${params.id}/edit`)
        router
          .post('/my/services/:id/delete', [MyServicesController, 'destroy'])
          .as('my_services.destroy')
          .formPage('/my/services')
      })
      .where('id', router.matchers.number())
      .use([middleware.auth(), middleware.role({ roles: ['contractor'] })])

    router
      .group(() => {
        router.post('/logout', [SessionController, 'destroy']).as('session.destroy')
        // Settings: one page, a form per section (each comes back to its section)
        router.get('/settings', [SettingsController, 'show']).as('settings.show')
        router
          .get('/settings/notifications', [SettingsController, 'notifications'])
          .as('settings.notifications')
        router
          .post('/settings/notifications', [SettingsController, 'update'])
          .as('settings.update')
          .formPage('/settings#notifications')
        router
          .post('/settings/profile', [SettingsController, 'updateProfile'])
          .as('settings.profile')
          .formPage('/settings#profile')
        router
          .post('/settings/email', [SettingsController, 'requestEmail'])
          .as('settings.email')
          .formPage('/settings#email')
        router
          .post('/settings/password', [SettingsController, 'updatePassword'])
          .as('settings.password')
          .formPage('/settings#password')
        router
          .post('/settings/sessions/logout-others', [SettingsController, 'logoutOthers'])
          .as('settings.logout_others')
          .formPage('/settings#sessions')
        router
          .post('/settings/delete', [SettingsController, 'destroy'])
          .as('settings.delete')
          .formPage('/settings#delete')
      })
      .use(middleware.auth())

    // The link mailed to a new address works whether or not its owner is logged in here
    router
      .get('/settings/email/confirm/:token', [SettingsController, 'confirmEmail'])
      .as('settings.email_confirm')

    /** The buttons of an order are on its page */
    const orderPage = ({ params }: { params: Record<string, string> }) => `/orders/${params.id}`

    /*
| The cart (employers): services gathered, then ordered and paid at once.
*/
    const CartController = () => import('#controllers/cart_controller')
    router
      .group(() => {
        router.get('/cart', [CartController, 'show']).as('cart.show')
        router
          .post('/cart/items', [CartController, 'add'])
          .as('cart.add')
          .formPage(({ request }) => {
            const serviceId = Number(request.input('service_id'))
            return isRecordId(serviceId) ? `/services/${serviceId}` : '/cart'
          })
        router
          .post('/cart/items/:id/remove', [CartController, 'remove'])
          .as('cart.remove')
          .where('id', router.matchers.number())
        router
          .post('/cart/checkout', [CartController, 'checkout'])
          .as('cart.checkout')
          .formPage('/cart')
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
          // The order form is on the service's page
          .formPage(({ request }) => {
            const serviceId = Number(request.input('service_id'))
            return isRecordId(serviceId) ? `/services/${serviceId}` : '/services'
          })
          .use(middleware.role({ roles: ['employer'] }))
        // Each button of an order is on its page (a refusal without a Referer goes back there)
        const orderAction = (
          path: string,
          action: 'retry' | 'accept' | 'decline' | 'deliver' | 'approve' | 'cancel',
          name: string
        ) => router.post(path, [OrdersController, action]).as(name).formPage(orderPage)
        orderAction('/orders/:id/retry', 'retry', 'orders.retry')
        // A failed payment: the same services ordered again with another payment method
        router
          .post('/orders/:id/pay-again', [OrdersController, 'payAgain'])
          .as('orders.pay_again')
          .formPage(orderPage)
        // 3-D Secure: to the bank's page (a link) and back from it
        router
          .get('/orders/:id/authenticate', [OrdersController, 'authenticate'])
          .as('orders.authenticate')
        router
          .get('/orders/:id/authenticated', [OrdersController, 'authenticated'])
          .as('orders.authenticated')
        for (const action of ['accept', 'decline', 'deliver', 'approve', 'cancel'] as const) {
          orderAction(`/orders/:id/${action}`, action, `orders.${action}`)
          orderAction(`/orders/:id/lines/:line/${action}`, action, `lines.${action}`)
        }
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
        router.get('/onboarding/status', [OnboardingController, 'status']).as('onboarding.status')
        router
          .post('/onboarding/details', [OnboardingController, 'details'])
          .as('onboarding.details')
          .formPage('/onboarding?step=details')
        router
          .post('/onboarding/terms', [OnboardingController, 'terms'])
          .as('onboarding.terms')
          .formPage('/onboarding?step=terms')
        router
          .post('/onboarding/documents', [OnboardingController, 'documents'])
          .as('onboarding.documents')
          .formPage('/onboarding?step=documents')
        router
          .post('/onboarding/bank', [OnboardingController, 'bank'])
          .as('onboarding.bank')
          .formPage('/onboarding?step=bank')
        router.get('/balance', [BalanceController, 'show']).as('balance.show')
      })
      .use([middleware.auth(), middleware.role({ roles: ['contractor'] })])

    /*
| Development only (sandbox mode, never in production): the sandbox clock
| panel moves time forward so a person can watch a bank payment clear, a hold
| expire or an auto-approval happen. 404 otherwise.
*/
    const DevClockController = () => import('#controllers/dev_clock_controller')
    router
      .post('/dev/clock', [DevClockController, 'advance'])
      .as('dev_clock.advance')
      .use(middleware.auth())

    /*
| Payment requests: a contractor bills an employer by link (their own
| requests; others' are 404). The link's page asks a guest to log in or sign
| up, and only the employer it was sent to may open and pay it (anyone else:
| 404). Receipts: the payment's employer and the request's contractor.
*/
    const PaymentRequestsController = () => import('#controllers/payment_requests_controller')
    const PayController = () => import('#controllers/pay_controller')
    const ReceiptsController = () => import('#controllers/receipts_controller')
    const requestPage = ({ params }: { params: Record<string, string> }) =>
      `/my/payment-requests/${params.id}`

    router
      .group(() => {
        router
          .get('/my/payment-requests', [PaymentRequestsController, 'index'])
          .as('payment_requests.index')
        router
          .post('/my/payment-requests', [PaymentRequestsController, 'store'])
          .as('payment_requests.store')
          .formPage('/my/payment-requests')
        router
          .get('/my/payment-requests/:id', [PaymentRequestsController, 'show'])
          .as('payment_requests.show')
        router
          .post('/my/payment-requests/:id/resend', [PaymentRequestsController, 'resend'])
          .as('payment_requests.resend')
          .formPage(requestPage)
        router
          .post('/my/payment-requests/:id/void', [PaymentRequestsController, 'void'])
          .as('payment_requests.void')
          .formPage(requestPage)
      })
      .where('id', router.matchers.number())
      .use([middleware.auth(), middleware.role({ roles: ['contractor'] })])

    router.get('/pay/:token', [PayController, 'show']).as('pay.show')
    router
      .post('/pay/:token', [PayController, 'store'])
      .as('pay.store')
      .formPage(({ params }) => `/pay/${params.token}`)
      .use([middleware.auth(), middleware.role({ roles: ['employer'] })])
    router
      .get('/payments/:id/receipt.pdf', [ReceiptsController, 'show'])
      .as('receipts.show')
      .where('id', router.matchers.number())
      .use(middleware.auth())

    /*
| 3-D Secure for a request's payment (its employer only; anyone else: 404):
| a link to the bank's page, the bank's return_url, and canceling a payment
| left waiting so its amount can be paid another way.
*/
    const PaymentAuthenticationController = () =>
      import('#controllers/payment_authentication_controller')
    router
      .group(() => {
        router
          .get('/payments/:id/authenticate', [PaymentAuthenticationController, 'authenticate'])
          .as('payments.authenticate')
        router
          .get('/payments/:id/authenticated', [PaymentAuthenticationController, 'authenticated'])
          .as('payments.authenticated')
        router
          .post('/payments/:id/cancel', [PaymentAuthenticationController, 'cancel'])
          .as('payments.cancel')
      })
      .where('id', router.matchers.number())
      .use(middleware.auth())
  })
  .use([
    middleware.session(),
    middleware.shield(),
    middleware.initializeAuth(),
    middleware.initializeBouncer(),
    middleware.silentAuth(),
    middleware.displayTimeZone(),
    middleware.noStoreWhenSignedIn(),
  ])
