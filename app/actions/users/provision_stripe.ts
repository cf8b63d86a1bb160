import type User from '#models/user'
import { ensureStripeCustomer } from '#actions/billing/ensure_customer'
import { ensureConnectAccount } from '#actions/onboarding/ensure_account'
import { reportStripeError } from '#stripe/errors'

/** Signup waits at most this long for Stripe */
const SIGNUP_WAIT_MS = 5000

/**
 * Gives a new user their Stripe identity: a Customer for an employer, a
 * Connect account for a contractor. Never blocks signup: when Stripe is slow
 * the call finishes in the background, and when it fails the error is logged
 * and the same call (same idempotency key) is made the next time the user
 * needs it (cards page, onboarding page, placing an order).
 */
export async function provisionStripeIdentity(user: User): Promise<boolean> {
  const work = (async () => {
    if (user.role === 'employer') {
      await ensureStripeCustomer(user)
    } else if (user.role === 'contractor') {
      await ensureConnectAccount(user)
    }
    return true
  })().catch((error) => {
    reportStripeError(error, { userId: user.id, operation: 'provision_stripe_identity' })
    return false
  })

  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), SIGNUP_WAIT_MS)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}
