import app from '@adonisjs/core/services/app'

/**
 * The development clock panel (a footer panel for signed-in users that moves
 * the Stripe sandbox's clock forward). Never in production; and only while the
 * app talks to the sandbox (real Stripe has no clock to move).
 */
const devClockConfig = {
  enabled: !app.inProduction,
}

export type DevClockConfig = typeof devClockConfig

export default devClockConfig
