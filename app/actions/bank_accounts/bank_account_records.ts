import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type User from '#models/user'
import BankAccount, {
  BANK_ACCOUNT_ENTERED_AT,
  BANK_ACCOUNT_STATES,
  type BankAccountStatus,
  type BankAccountVerb,
} from '#models/bank_account'
import type { Actor } from '#domain/actor'
import { DomainError } from '#exceptions/domain_error'
import { isRecordId } from '#services/record_id'

/*
| A bank account follows its SetupIntent: the one place where what Stripe says
| about it is recorded (the answer to our own request, a verification, a
| webhook, a look on Stripe when an answer was lost), through the state table,
| forward only.
*/

/** What to expand when a SetupIntent is read to be recorded (the bank's name, last 4) */
export const SETUP_INTENT_EXPAND = ['payment_method']

/** Stripe's verification failures, in plain words, with what to do */
const VERIFICATION_FAILURES: Record<string, string> = {
  payment_method_microdeposit_verification_attempts_exceeded:
    'Too many wrong amounts were entered, so this bank account could not be verified. ' +
    'Remove it and add it again to get new deposits, or pay another way.',
  payment_method_microdeposit_verification_timeout:
    'The deposits were not confirmed within 10 days, so this bank account could not be ' +
    'verified. Remove it and add it again to get new deposits.',
  payment_method_microdeposit_failed:
    'The deposits could not be sent to this account. Check the routing and account numbers, ' +
    'then add the account again.',
}

export function verificationFailureMessage(code: string | null | undefined, fallback?: string) {
  return (
    (code ? VERIFICATION_FAILURES[code] : undefined) ??
    fallback ??
    'This bank account could not be verified. Add it again or pay another way.'
  )
}

/**
 * Moves a locked bank account through its state table when the table allows
 * the pair; `set` is applied either way. Returns whether the status changed.
 */
export async function moveBankAccount(
  trx: TransactionClientContract,
  row: BankAccount,
  verb: BankAccountVerb,
  actor: Actor,
  set: Partial<BankAccount> = {}
) {
  const from = row.status
  const to = BANK_ACCOUNT_STATES.target(from, verb)
  const allowed = to !== null && BANK_ACCOUNT_STATES.can(from, verb, actor.kind)
  row.useTransaction(trx)
  row.merge(set)
  if (!allowed) {
    if (row.$isDirty) {
      await row.save()
    }
    return false
  }
  row.status = to as BankAccountStatus
  const enteredAt = BANK_ACCOUNT_ENTERED_AT[to]
  if (enteredAt) {
    row.merge({ [enteredAt]: DateTime.now() } as Partial<BankAccount>)
  }
  await row.save()
  logger.info(
    { bankAccountId: row.id, from, to, actor: actor.label },
    `Bank account #${row.id} ${from} → ${to}`
  )
  return true
}

function idOf(value: string | { id: string } | null | undefined) {
  return typeof value === 'string' ? value : (value?.id ?? null)
}

/** The bank's name and last 4 digits (never more) of an expanded PaymentMethod */
function bankDetailsOf(paymentMethod: Stripe.SetupIntent['payment_method']) {
  if (!paymentMethod || typeof paymentMethod === 'string' || !paymentMethod.us_bank_account) {
    return {}
  }
  const bank = paymentMethod.us_bank_account
  return {
    ...(bank.bank_name ? { bankName: bank.bank_name.slice(0, 120) } : {}),
    ...(bank.last4 && /^\d{4}$/.test(bank.last4) ? { last4: bank.last4 } : {}),
  }
}

/**
 * Records a SetupIntent (retrieved with SETUP_INTENT_EXPAND) on its locked
 * bank account. Returns whether the status changed.
 */
export async function recordSetupIntent(
  trx: TransactionClientContract,
  row: BankAccount,
  setupIntent: Stripe.SetupIntent,
  actor: Actor
) {
  if (row.stripeSetupIntentId && row.stripeSetupIntentId !== setupIntent.id) {
    return false
  }
  const set: Partial<BankAccount> = {
    stripeSetupIntentId: setupIntent.id,
    ...bankDetailsOf(setupIntent.payment_method),
  }
  const paymentMethodId = idOf(setupIntent.payment_method)
  if (paymentMethodId) {
    set.stripePaymentMethodId = paymentMethodId
  }
  const mandateId = idOf(setupIntent.mandate)
  if (mandateId) {
    set.stripeMandateId = mandateId
  }
  const stripeActor: Actor = { kind: 'stripe', label: actor.label }

  const next = setupIntent.next_action
  switch (setupIntent.status) {
    case 'succeeded':
      return moveBankAccount(trx, row, 'verify', stripeActor, {
        ...set,
        verificationMethod: row.microdepositType ? 'microdeposits' : 'instant',
        failureCode: null,
        failureMessage: null,
      })
    case 'requires_action':
      if (next?.type !== 'verify_with_microdeposits' || !next.verify_with_microdeposits) {
        break
      }
      return moveBankAccount(trx, row, 'await_verification', stripeActor, {
        ...set,
        verificationMethod: 'microdeposits',
        microdepositType: next.verify_with_microdeposits.microdeposit_type ?? 'amounts',
        microdepositsArriveAt: DateTime.fromSeconds(next.verify_with_microdeposits.arrival_date),
      })
    case 'requires_payment_method':
      if (!setupIntent.last_setup_error) {
        break
      }
      return moveBankAccount(trx, row, 'fail', stripeActor, {
        ...set,
        failureCode: setupIntent.last_setup_error.code ?? null,
        failureMessage: verificationFailureMessage(
          setupIntent.last_setup_error.code,
          setupIntent.last_setup_error.message
        ),
      })
    case 'canceled':
      return moveBankAccount(trx, row, 'fail', stripeActor, {
        ...set,
        failureCode: 'canceled',
        failureMessage: 'The verification of this bank account was canceled.',
      })
  }
  row.useTransaction(trx)
  row.merge(set)
  await row.save()
  return false
}

/** The bank account locked in `trx` */
export async function lockBankAccount(trx: TransactionClientContract, id: number) {
  return BankAccount.query({ client: trx }).where('id', id).forUpdate().firstOrFail()
}

/** One of the employer's own bank accounts (not removed); 404 for anything else */
export async function findOwnBankAccount(employer: User, id: unknown) {
  const bankAccountId = Number(id)
  const row = isRecordId(bankAccountId)
    ? await BankAccount.query()
        .where('id', bankAccountId)
        .where('employerId', employer.id)
        .whereNot('status', 'removed')
        .first()
    : null
  if (!row) {
    throw DomainError.notFound('This bank account is not one of yours.')
  }
  return row
}

/** The employer's bank accounts as the pages show them: known to Stripe, not removed */
export async function listBankAccounts(employerId: number) {
  return BankAccount.query()
    .where('employerId', employerId)
    .whereNotIn('status', ['removed', 'pending'])
    .whereNotNull('stripeSetupIntentId')
    .orderBy('id', 'desc')
}

/** A verified bank account of this employer paying with this PaymentMethod, if there is one */
export async function verifiedBankAccountOf(employerId: number, paymentMethodId: string) {
  return BankAccount.query()
    .where('employerId', employerId)
    .where('stripePaymentMethodId', paymentMethodId)
    .where('status', 'verified')
    .first()
}
