import { createHmac } from 'node:crypto'
import Stripe from 'stripe'
import { errors as vineErrors } from '@vinejs/vine'
import env from '#start/env'
import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { ActionError } from '#exceptions/action_error'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { reportStripeError } from '#stripe/errors'
import { ensureConnectAccount } from '#actions/onboarding/ensure_account'
import { syncAccountSnapshot } from '#actions/onboarding/sync_account'

/*
 * What every onboarding step shares: the contractor's Connect account (made
 * now if signup could not), idempotency keys for their writes, and Stripe's
 * refusals turned into messages on the form.
 */

/** The contractor's profile and Connect account id, creating the account if signup could not */
export async function contractorAccount(user: User) {
  try {
    const accountId = await ensureConnectAccount(user)
    const profile = await UserProfile.findByOrFail('userId', user.id)
    return { profile, accountId }
  } catch (error) {
    const described = reportStripeError(error, { userId: user.id, operation: 'ensure_account' })
    throw new ActionError(
      described.isTransient
        ? 'Stripe is unreachable right now, so your payment account could not be set up. ' +
            'Nothing was sent; try again in a moment.'
        : described.message,
      described.isTransient ? 503 : 422
    )
  }
}

/**
 * `user:<id>:<uuid>:<operation>:r<revision>:<digest>`. The revision counts the
 * contractor's successful writes, so a double submit (same revision, same
 * data) replays Stripe's first answer, while a correction, even back to
 * earlier values, is a new request. The digest (an HMAC under APP_KEY, never
 * the data itself: keys are visible in Stripe's logs) tells apart different
 * data sent at the same revision, which would otherwise make Stripe answer
 * `idempotency_error`.
 */
export function onboardingKey(
  user: User,
  profile: UserProfile,
  operation: string,
  payload: unknown
) {
  const digest = createHmac('sha256', env.get('APP_KEY')!.release())
    .update(operation)
    .update('\0')
    .update(Buffer.isBuffer(payload) ? payload : JSON.stringify(payload))
    .digest('base64url')
    .slice(0, 22)
  return idempotencyKey(
    'user',
    user,
    `onboarding_${operation}`,
    `r${profile.onboardingRevision}`,
    digest
  )
}

/** Counts a successful write (see onboardingKey) */
export async function countWrite(profile: UserProfile) {
  await UserProfile.query().where('id', profile.id).increment('onboarding_revision', 1)
}

/** Stripe's code for a refused value, in words for the form field it concerns */
const FIELD_CODE_MESSAGES: Record<string, string> = {
  routing_number_invalid: 'Stripe does not know this routing number; check it with your bank.',
  account_number_invalid: 'Stripe did not accept this account number; check it with your bank.',
  invalid_dob_age_under_minimum: 'You must be at least 18 years old to be paid on Crewpay.',
  invalid_phone_number: 'Stripe did not accept this phone number.',
  file_too_large: 'The file is too large: at most 10 MB.',
}

/**
 * A Stripe refusal as a form error when it names a field of the form
 * (`param`), otherwise as a message flashed on the page. Never a 500.
 */
export function stripeFailure(
  error: unknown,
  context: { userId: number; operation: string },
  fields: Record<string, string> = {}
): Error {
  const described = reportStripeError(error, context)
  if (error instanceof Stripe.errors.StripeInvalidRequestError && error.param) {
    const field = fields[error.param] ?? fields[error.param.replace(/\[[^\]]*\]$/, '')]
    if (field) {
      const message =
        (error.code && FIELD_CODE_MESSAGES[error.code]) ||
        'Stripe did not accept this value; check it and submit the form again.'
      return new vineErrors.E_VALIDATION_ERROR([{ field, rule: 'stripe', message }])
    }
  }
  if (described.isTransient) {
    return new ActionError(
      'Stripe is unreachable right now. Nothing was changed; submit the form again in a moment.',
      503
    )
  }
  return new ActionError(described.message, 422)
}

/**
 * Sends one onboarding step to the contractor's account, keeps Stripe's
 * answer as their verification snapshot, and counts the write.
 */
export async function updateAccount(
  user: User,
  operation: string,
  params: Stripe.AccountUpdateParams,
  fields: Record<string, string> = {}
) {
  const { profile, accountId } = await contractorAccount(user)
  let account: Stripe.Account
  try {
    account = await stripe().accounts.update(accountId, params, {
      idempotencyKey: onboardingKey(user, profile, operation, params),
    })
  } catch (error) {
    throw stripeFailure(error, { userId: user.id, operation: `onboarding_${operation}` }, fields)
  }
  await countWrite(profile)
  return { account, profile: (await syncAccountSnapshot(account)) ?? profile }
}
