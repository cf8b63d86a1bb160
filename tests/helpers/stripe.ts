import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import { stripe } from '#stripe/client'
import { forgetClock } from '#services/clock'
import type { StripeConfig } from '#config/stripe'
import { freePort } from '#infra/net'
import { TEST_WEBHOOK_SECRET } from '#infra/stripe_sandbox_host'
import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { createUser } from '#tests/helpers/users'
import { ensureStripeCustomer } from '#actions/billing/ensure_customer'
import { onboardWithTestValues } from '#actions/demo/onboard_with_test_values'
import { addCard } from '#actions/billing/add_card'

/** Moves the test run's sandbox clock forward and runs what became due */
export async function advanceSandboxClock(seconds: number) {
  await stripe().rawRequest('POST', '/v1/test_helpers/sandbox/advance_clock', { seconds })
  forgetClock()
}

/** Completes a contractor's onboarding through the API with Stripe's test values */
export const completeOnboarding = onboardWithTestValues

/** A contractor whose account can take orders */
export async function createActiveContractor(attributes: Parameters<typeof createUser>[0] = {}) {
  const contractor = await createUser({ role: 'contractor', ...attributes })
  const account = await onboardWithTestValues(contractor)
  if (!account.charges_enabled || account.capabilities?.transfers !== 'active') {
    throw new Error(`Test contractor not active: ${JSON.stringify(account.requirements)}`)
  }
  return contractor
}

/** An employer with a Stripe customer and, unless told otherwise, a default card */
export async function createEmployer(
  attributes: Parameters<typeof createUser>[0] = {},
  card: string | null = 'pm_card_visa'
) {
  const employer = await createUser({ role: 'employer', ...attributes })
  await ensureStripeCustomer(employer)
  if (card) {
    await addCard(employer, card, `test-${DateTime.now().toMillis()}-${Math.random()}`)
  }
  return employer
}

export async function profileOf(user: User) {
  return UserProfile.findByOrFail('userId', user.id)
}

/** The user's cus_/acct_ id */
export async function stripeIdOf(user: User) {
  const profile = await profileOf(user)
  return profile.stripeId!
}

export async function defaultCardOf(user: User) {
  const profile = await profileOf(user)
  return profile.defaultPaymentMethodId!
}

/** A webhook delivery signed as Stripe signs it, for the test run's secret */
export function signedWebhook(
  event: { type: string; data: { object: object } } & Record<string, unknown>
) {
  const payload = JSON.stringify({
    id: `evt_test_${Math.random().toString(36).slice(2)}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    ...event,
  })
  const signature = stripe().webhooks.generateTestHeaderString({
    payload,
    secret: TEST_WEBHOOK_SECRET,
  })
  return { payload, signature }
}

/** Points the app's Stripe client at a port where nothing listens; returns the undo */
export async function cutStripeOff() {
  const original = app.config.get<StripeConfig>('stripe').api
  // No retries: each would only wait (with back-off) for the same refusal
  app.config.set('stripe.api', { ...original!, port: await freePort(), maxNetworkRetries: 0 })
  return () => app.config.set('stripe.api', original)
}

/** Runs `work` while Stripe is unreachable for the app */
export async function withStripeUnreachable<T>(work: () => Promise<T>): Promise<T> {
  const restore = await cutStripeOff()
  try {
    return await work()
  } finally {
    restore()
  }
}
