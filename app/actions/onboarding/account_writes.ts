import { createHmac } from 'node:crypto'
import Stripe from 'stripe'
import { errors as vineErrors } from '@vinejs/vine'
import env from '#start/env'
import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { DomainError } from '#exceptions/domain_error'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { describeStripeError, isStripeError, reportStripeError } from '#stripe/errors'
import { ensureConnectAccount } from '#actions/onboarding/ensure_account'
import { syncAccountSnapshot } from '#actions/onboarding/sync_account'

/*
 * What every onboarding step shares: the contractor's Connect account (made
 * now if signup could not), idempotency keys for their writes, and Stripe's
 * refusals turned into messages on the form.
 */

/**
 * The contractor's profile and Connect account id, creating the account if
 * signup could not. A Stripe failure becomes a message; anything else (the
 * database) is an error of ours and is rethrown.
 */
export async function contractorAccount(user: User) {
  try {
    const accountId = await ensureConnectAccount(user)
    const profile = await UserProfile.findByOrFail('userId', user.id)
    return { profile, accountId }
  } catch (error) {
    if (!isStripeError(error)) {
      throw error
    }
    const described = reportStripeError(error, { userId: user.id, operation: 'ensure_account' })
    throw new DomainError(described.isTransient ? 'unavailable' : 'invalid', described.message)
  }
}

/**
 * `user:<id>:<uuid>:<operation>:r<revision>:<digest>`. The revision counts the
 * contractor's writes (applied, or with an unknown outcome: see countWrite),
 * so a double submit (same revision, same data) replays Stripe's first
 * answer, while a correction, even back to earlier values, is a new request.
 * The digest (an HMAC under APP_KEY, never the data itself: keys are visible
 * in Stripe's logs) tells apart different data sent at the same revision,
 * which would otherwise make Stripe answer `idempotency_error`.
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

/**
 * Counts a write (see onboardingKey): one Stripe applied, or one whose outcome
 * is unknown (a timeout, a 5xx). Stripe replays a stored 5xx for the same key,
 * so after a transient failure the contractor's retry must get a new key;
 * onboarding updates are safe to repeat.
 */
export async function countWrite(profile: UserProfile) {
  await UserProfile.query().where('id', profile.id).increment('onboarding_revision', 1)
}

/** Stripe's refusal of a form field when its code has no message of its own */
const FIELD_REFUSED = 'Stripe did not accept this value; check it and submit the form again.'

/** What describeStripeError says of a refusal whose code it has no words for */
const UNDESCRIBED_REFUSAL = describeStripeError(
  new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', message: '' })
).message

/**
 * A Stripe refusal as a form error when it names a field of the form
 * (`param`), otherwise as a message flashed on the page (422, or 503 when
 * Stripe could not be reached). Anything that is not a Stripe error is an
 * error of ours: it is thrown as is, never reported as Stripe's.
 */
export function stripeFailure(
  error: unknown,
  context: { userId: number; operation: string },
  fields: Record<string, string> = {}
): Error {
  if (!isStripeError(error)) {
    throw error
  }
  const described = reportStripeError(error, context)
  if (error instanceof Stripe.errors.StripeInvalidRequestError && error.param) {
    const field = fields[error.param] ?? fields[error.param.replace(/\[[^\]]*\]$/, '')]
    if (field) {
      const message = described.message === UNDESCRIBED_REFUSAL ? FIELD_REFUSED : described.message
      return new vineErrors.E_VALIDATION_ERROR([{ field, rule: 'stripe', message }])
    }
  }
  return new DomainError(described.isTransient ? 'unavailable' : 'invalid', described.message)
}

/**
 * stripeFailure for a write made with onboardingKey: after a transient
 * failure the revision moves on, so the retry is a new request (countWrite).
 */
export async function writeFailure(
  error: unknown,
  profile: UserProfile,
  context: { userId: number; operation: string },
  fields: Record<string, string> = {}
) {
  if (isStripeError(error) && describeStripeError(error).isTransient) {
    await countWrite(profile)
  }
  return stripeFailure(error, context, fields)
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
    throw await writeFailure(
      error,
      profile,
      { userId: user.id, operation: `onboarding_${operation}` },
      fields
    )
  }
  await countWrite(profile)
  return { account, profile: (await syncAccountSnapshot(account)) ?? profile }
}
