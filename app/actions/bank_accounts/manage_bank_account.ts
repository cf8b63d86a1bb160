import type Stripe from 'stripe'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type User from '#models/user'
import BankAccount from '#models/bank_account'
import UserProfile from '#models/user_profile'
import { DomainError } from '#exceptions/domain_error'
import { actors, type Actor } from '#domain/actor'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { isStripeError, reportStripeError } from '#stripe/errors'
import { sendToStripe, type StripeWrite } from '#stripe/write'
import { listCards } from '#actions/billing/list_cards'
import { setDefaultCard } from '#actions/billing/set_default_card'
import { cardName } from '#actions/billing/add_card'
import {
  SETUP_INTENT_EXPAND,
  findOwnBankAccount,
  listBankAccounts,
  lockBankAccount,
  moveBankAccount,
  recordSetupIntent,
  verificationFailureMessage,
} from '#actions/bank_accounts/bank_account_records'
import { findSetupIntentOf } from '#actions/bank_accounts/add_bank_account'

/*
| Verifying (microdeposits), making default and removing a bank account, and
| following its SetupIntent when Stripe moves it on its own (a webhook, a
| verification that timed out).
*/

export type Verification = { amounts: [number, number] } | { descriptorCode: string }

/** "You have 9 verification attempts remaining." → 9 */
function attemptsLeftIn(message: string | null | undefined) {
  const found = message?.match(/(\d+) (?:verification )?attempts? (?:remaining|left)/i)
  return found ? Number(found[1]) : null
}

function verificationWrite(
  verification: Verification,
  formToken: string
): StripeWrite<BankAccount, Stripe.SetupIntent> {
  const actor = (row: BankAccount) => actors.stripe(`user:${row.employerId}`)
  return {
    operation: 'verify_bank_account',
    label: (row) => `bank account #${row.id}`,
    key: (row) => idempotencyKey('bank_account', row, 'verify', formToken),
    send: (row, key) =>
      stripe().setupIntents.verifyMicrodeposits(
        row.stripeSetupIntentId!,
        {
          ...('amounts' in verification
            ? { amounts: verification.amounts }
            : { descriptor_code: verification.descriptorCode }),
          expand: SETUP_INTENT_EXPAND,
        },
        { idempotencyKey: key }
      ),
    async lock(trx, row) {
      const locked = await lockBankAccount(trx, row.id)
      return locked.status === 'requires_verification' ? locked : null
    },
    record: (trx, row, setupIntent) =>
      recordSetupIntent(trx, row, setupIntent, actor(row)).then(() => {}),
    async refuse(trx, row, _error, cause) {
      // A verification that failed for good (too many attempts, a timeout,
      // deposits never sent) comes with the SetupIntent in its new state
      const setupIntent = isStripeError(cause) ? cause.setup_intent : undefined
      if (setupIntent?.status === 'requires_payment_method' && setupIntent.last_setup_error) {
        await recordSetupIntent(trx, row, setupIntent, actor(row))
      }
    },
  }
}

/**
 * Confirms the microdeposits: the two amounts (cents) or the descriptor code.
 * Wrong values say how many attempts are left; too many attempts or a
 * timeout close the account with what to do next.
 */
export async function verifyBankAccount(
  employer: User,
  bankAccountId: unknown,
  verification: Verification,
  formToken: string
) {
  const row = await findOwnBankAccount(employer, bankAccountId)
  if (row.status === 'verified') {
    throw DomainError.conflict(`${row.label} is already verified.`)
  }
  if (row.status === 'failed') {
    throw DomainError.conflict(
      row.failureMessage ?? `${row.label} could not be verified. Add it again.`
    )
  }
  if (row.status !== 'requires_verification' || !row.stripeSetupIntentId) {
    throw DomainError.conflict(`${row.label} is not waiting for a verification.`)
  }
  const outcome = await sendToStripe(verificationWrite(verification, formToken), row)
  await row.refresh()
  // Re-read: Stripe's answer moved it
  const status = row.status as BankAccount['status']
  if (outcome.kind === 'unknown') {
    throw DomainError.unavailable(
      'Our payment provider did not answer. Try again in a moment: the same attempt is never counted twice.'
    )
  }
  if (outcome.kind === 'refused') {
    const code = outcome.error.code
    if (status === 'failed') {
      throw DomainError.invalid(row.failureMessage ?? verificationFailureMessage(code))
    }
    switch (code) {
      case 'payment_method_microdeposit_verification_amounts_mismatch':
      case 'payment_method_microdeposit_verification_descriptor_code_mismatch': {
        const left = attemptsLeftIn(
          isStripeError(outcome.cause) ? outcome.cause.message : outcome.error.message
        )
        const what =
          code === 'payment_method_microdeposit_verification_amounts_mismatch'
            ? 'These amounts do not match the deposits sent to your account.'
            : 'This code does not match the one on the deposit sent to your account.'
        throw DomainError.invalid(
          left === null
            ? `${what} Check your bank statement and try again.`
            : `${what} You have ${left} attempt${left === 1 ? '' : 's'} left.`
        )
      }
      case 'payment_method_microdeposit_verification_amounts_invalid':
        throw DomainError.invalid('Enter each amount in cents, from 1 to 99 (for example 32).')
      case 'setup_intent_unexpected_state':
        // Stripe moved on meanwhile (a timeout on its clock): record where it is
        await followBankAccount(row, actors.stripe(`user:${employer.id}`))
        await row.refresh()
        throw DomainError.conflict(
          row.failureMessage ?? `${row.label} is not waiting for a verification any more.`
        )
      default:
        throw DomainError.invalid(verificationFailureMessage(code, outcome.error.message))
    }
  }
  if (status !== 'verified') {
    throw DomainError.conflict(`${row.label} is not verified yet. Reload the page in a moment.`)
  }
  return row
}

/** Brings a bank account in line with its SetupIntent as Stripe has it now */
export async function followBankAccount(row: BankAccount, actor: Actor) {
  const setupIntent = await findSetupIntentOf(row)
  if (!setupIntent) {
    return null
  }
  await db.transaction(async (trx) => {
    const locked = await lockBankAccount(trx, row.id)
    await recordSetupIntent(trx, locked, setupIntent, actor)
  })
  return setupIntent
}

/** Bank accounts whose SetupIntent answer never came, older than this, are looked up */
const PENDING_LOOK_AFTER_SECONDS = 30
/** …and closed when Stripe has none after this long (the request never reached it) */
const PENDING_GIVE_UP_MINUTES = 10

/**
 * The employer's rows still pending (Stripe's answer was lost): looked up on
 * Stripe and recorded, or closed when the request never reached it. Called
 * when the payment methods page is shown.
 */
export async function settlePendingBankAccounts(employer: User) {
  const pending = await BankAccount.query()
    .where('employerId', employer.id)
    .where('status', 'pending')
    .whereNull('stripeSetupIntentId')
    .where('createdAt', '<', new Date(Date.now() - PENDING_LOOK_AFTER_SECONDS * 1000))
  for (const row of pending) {
    try {
      const found = await followBankAccount(row, actors.stripe(`user:${employer.id}`))
      if (!found && row.createdAt.diffNow('minutes').minutes < -PENDING_GIVE_UP_MINUTES) {
        await db.transaction(async (trx) => {
          const locked = await lockBankAccount(trx, row.id)
          await moveBankAccount(trx, locked, 'fail', actors.system('bank_accounts'), {
            failureCode: 'never_sent',
            failureMessage: 'Our payment provider never received this bank account.',
          })
        })
      }
    } catch (error) {
      reportStripeError(error, { userId: employer.id, operation: 'settle_bank_account' })
    }
  }
}

/**
 * Makes a verified bank account the employer's default payment method, on
 * Stripe (the customer's invoice_settings) and locally, as for cards.
 */
export async function setDefaultBankAccount(employer: User, bankAccountId: unknown) {
  const row = await findOwnBankAccount(employer, bankAccountId)
  if (!row.isVerified || !row.stripePaymentMethodId) {
    throw DomainError.conflict(`Verify ${row.label} before making it your default.`)
  }
  const profile = await UserProfile.findByOrFail('userId', employer.id)
  try {
    await stripe().customers.update(
      profile.stripeId!,
      { invoice_settings: { default_payment_method: row.stripePaymentMethodId } },
      {
        idempotencyKey: idempotencyKey(
          'user',
          employer,
          'default_payment_method',
          row.stripePaymentMethodId,
          profile.updatedAt.toMillis()
        ),
      }
    )
  } catch (error) {
    const described = reportStripeError(error, { userId: employer.id, operation: 'default_bank' })
    throw DomainError.unavailable(described.message)
  }
  profile.defaultPaymentMethodId = row.stripePaymentMethodId
  await profile.save()
  return row
}

/**
 * Removes a bank account: detached on Stripe once verified (a SetupIntent
 * still waiting for its deposits is canceled instead), then marked removed.
 * Payments already started are not affected. When it was the default, the
 * newest card (else the newest verified bank account) becomes the default,
 * as when a default card is removed. Returns the row and the new default's
 * name, if one was chosen.
 */
export async function removeBankAccount(employer: User, bankAccountId: unknown) {
  const row = await findOwnBankAccount(employer, bankAccountId)
  try {
    if (row.status === 'verified' && row.stripePaymentMethodId) {
      await stripe().paymentMethods.detach(row.stripePaymentMethodId, undefined, {
        idempotencyKey: idempotencyKey('bank_account', row, 'detach'),
      })
    } else if (row.status === 'requires_verification' && row.stripeSetupIntentId) {
      await stripe().setupIntents.cancel(row.stripeSetupIntentId, undefined, {
        idempotencyKey: idempotencyKey('bank_account', row, 'cancel_setup'),
      })
    }
  } catch (error) {
    // Already detached or canceled on Stripe: removing it here is all that is left
    const gone =
      isStripeError(error) &&
      (error.code === 'resource_missing' ||
        error.code === 'setup_intent_unexpected_state' ||
        error.code === 'payment_method_unexpected_state')
    if (!gone) {
      const described = reportStripeError(error, {
        userId: employer.id,
        operation: 'remove_bank_account',
      })
      throw DomainError.unavailable(
        described.isTransient
          ? described.message
          : 'This bank account could not be removed. Please try again in a moment.'
      )
    }
    logger.info({ bankAccountId: row.id }, 'Bank account already gone on Stripe')
  }
  const wasDefault = await db.transaction(async (trx) => {
    const locked = await lockBankAccount(trx, row.id)
    await moveBankAccount(trx, locked, 'remove', actors.party('employer', employer.id))
    const profile = await UserProfile.query({ client: trx })
      .where('userId', employer.id)
      .forUpdate()
      .firstOrFail()
    if (row.stripePaymentMethodId && profile.defaultPaymentMethodId === row.stripePaymentMethodId) {
      profile.defaultPaymentMethodId = null
      await profile.save()
      return true
    }
    return false
  })
  await row.refresh()
  return { removed: row, newDefault: wasDefault ? await promoteAnotherDefault(employer) : null }
}

/** After the default was removed: the newest card, else the newest verified bank account */
async function promoteAnotherDefault(employer: User): Promise<string | null> {
  try {
    const profile = await UserProfile.findByOrFail('userId', employer.id)
    const [newestCard] = profile.stripeId ? await listCards(profile.stripeId, null) : []
    if (newestCard) {
      const made = await setDefaultCard(employer, newestCard.id)
      return cardName(made)
    }
    const others = await listBankAccounts(employer.id)
    const newestBank = others.find((other) => other.isVerified)
    if (newestBank) {
      const made = await setDefaultBankAccount(employer, newestBank.id)
      return made.label
    }
  } catch (error) {
    // The account is removed either way; promoting another one is a convenience
    logger.warn(
      { userId: employer.id, reason: (error as Error).message },
      'The default bank account was removed but no other payment method could be made the default'
    )
  }
  return null
}
