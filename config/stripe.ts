import env from '#start/env'
import { percentToBasisPoints } from '#money/fees'

/**
 * With STRIPE_SECRET_KEY the app talks to real Stripe (test or live mode).
 * Without it, to the local Stripe sandbox: the local services provider fills
 * in `api` (where the sandbox listens) and `webhookSecrets` at boot.
 */
const secretKey = env.get('STRIPE_SECRET_KEY')?.release()

export const SANDBOX_SECRET_KEY = 'sk_test_crewpay_sandbox'

const stripeConfig = {
  mode: (secretKey ? 'stripe' : 'sandbox') as 'stripe' | 'sandbox',
  secretKey: secretKey ?? SANDBOX_SECRET_KEY,
  publishableKey: env.get('STRIPE_PUBLISHABLE_KEY') ?? null,
  /** Signing secrets of the platform and the Connect webhook endpoints */
  webhookSecrets: [env.get('STRIPE_WEBHOOK_SECRET'), env.get('STRIPE_CONNECT_WEBHOOK_SECRET')]
    .filter((secret) => secret !== undefined)
    .map((secret) => secret.release()),
  /** Where the sandbox listens; null for real Stripe */
  api: null as null | { host: string; port: number; protocol: 'http' | 'https' },
  connectCountry: env.get('CONNECT_COUNTRY', 'US'),
  platformFee: {
    basisPoints: percentToBasisPoints(env.get('PLATFORM_FEE_PERCENT', '10')),
    fixed: env.get('PLATFORM_FEE_FIXED', 0),
  },
}

export type StripeConfig = typeof stripeConfig

export default stripeConfig
