import { defineConfig } from '@adonisjs/shield'

const shieldConfig = defineConfig({
  csp: {
    enabled: true,
    directives: {
      defaultSrc: [`'self'`],
      // Stripe.js and its frames (Elements; Financial Connections for bank accounts)
      scriptSrc: [`'self'`, 'https://js.stripe.com', 'https://*.js.stripe.com'],
      frameSrc: [
        `'self'`,
        'https://js.stripe.com',
        'https://*.js.stripe.com',
        'https://hooks.stripe.com',
      ],
      connectSrc: [`'self'`, 'https://api.stripe.com'],
      imgSrc: [`'self'`, 'data:'],
      styleSrc: [`'self'`],
      formAction: [`'self'`],
      frameAncestors: [`'none'`],
    },
    reportOnly: false,
  },
  csrf: {
    enabled: true,
    // Stripe signs its webhook deliveries; it cannot send our CSRF token
    exceptRoutes: ['/stripe/webhook'],
    enableXsrfCookie: false,
    methods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  },
  xFrame: {
    enabled: true,
    action: 'DENY',
  },
  hsts: {
    enabled: true,
    maxAge: '180 days',
  },
  contentTypeSniffing: {
    enabled: true,
  },
})

export default shieldConfig
