import type Stripe from 'stripe'
import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import BankAccount from '#models/bank_account'
import UserProfile from '#models/user_profile'
import { DomainError } from '#exceptions/domain_error'
import { actors } from '#domain/actor'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { sendToStripe, type StripeWrite } from '#stripe/write'
import { requireStripeCustomer } from '#actions/billing/ensure_customer'
import {
  SETUP_INTENT_EXPAND,
  findOwnBankAccount,
  moveBankAccount,
  recordSetupIntent,
} from '#actions/bank_accounts/bank_account_records'
import { mandateColumns, mandateData, type MandateAcceptance } from '#actions/bank_accounts/mandate'

/*
|--------------------------------------------------------------------------
| Saving a bank account
|--------------------------------------------------------------------------
|
| Sandbox mode: the employer types the routing and account numbers; one
| SetupIntent, confirmed at once with the mandate, creates the PaymentMethod
| and sends the microdeposits. The account number goes from the request to
| Stripe and nowhere else: not to the database, the session or the logs.
|
| With real Stripe: no account number reaches Crewpay. The page asks for a
| SetupIntent (`startBankAccountCollection`), Stripe.js collects the account
| through Financial Connections and confirms it with the mandate, then the
| page comes back (`finishBankAccountCollection`) and the SetupIntent is
| read from Stripe.
|
| Either way the row is written `pending` first with the mandate acceptance
| (its reference is in the idempotency key), then Stripe is called, then its
| answer recorded: verified, waiting for the microdeposits, or refused.
|
*/

export interface BankAccountDetails {
  routingNumber: string
  accountNumber: string
  holderName: string
  holderType: 'individual' | 'company'
}

const UNANSWERED =
  'Our payment provider did not answer, so we do not know yet whether your bank account was ' +
  'saved. Reload this page in a minute: it shows the account once the answer is in.'

function isFormTokenTwin(error: unknown) {
  const failure = error as { code?: string; constraint?: string }
  return (
    failure.code === '23505' && failure.constraint === 'bank_accounts_employer_id_form_token_unique'
  )
}

/** The row of this form: a new one, or the one the same form already wrote (double submit) */
async function openRow(
  employer: User,
  holderType: BankAccountDetails['holderType'],
  acceptance: MandateAcceptance,
  formToken: string
) {
  try {
    return {
      row: await BankAccount.create({
        employerId: employer.id,
        formToken,
        status: 'pending',
        accountHolderType: holderType,
        ...mandateColumns(acceptance),
      }),
      twin: false,
    }
  } catch (error) {
    if (!isFormTokenTwin(error)) {
      throw error
    }
    const row = await BankAccount.query()
      .where('employerId', employer.id)
      .where('formToken', formToken)
      .firstOrFail()
    return { row, twin: true }
  }
}

/** The SetupIntent an earlier attempt made for this row, if Stripe has one */
export async function findSetupIntentOf(row: BankAccount) {
  if (row.stripeSetupIntentId) {
    return stripe().setupIntents.retrieve(row.stripeSetupIntentId, {
      expand: SETUP_INTENT_EXPAND,
    })
  }
  const customerId = await customerOf(row)
  for await (const candidate of stripe().setupIntents.list({ customer: customerId, limit: 100 })) {
    if (candidate.metadata?.bank_account_id === String(row.id)) {
      return stripe().setupIntents.retrieve(candidate.id, { expand: SETUP_INTENT_EXPAND })
    }
    // Newest first: older ones cannot be this row's
    if (candidate.created < Math.floor(row.createdAt.toSeconds()) - 300) {
      break
    }
  }
  return null
}

async function customerOf(row: BankAccount) {
  const profile = await UserProfile.findByOrFail('userId', row.employerId)
  return profile.stripeId!
}

/** The write that creates a row's SetupIntent with these parameters */
function setupWrite(
  params: Stripe.SetupIntentCreateParams
): StripeWrite<BankAccount, Stripe.SetupIntent> {
  return {
    operation: 'add_bank_account',
    label: (row) => `bank account #${row.id}`,
    key: (row) => idempotencyKey('bank_account', row, 'setup'),
    send: (row, key) =>
      stripe().setupIntents.create(
        { ...params, metadata: { ...params.metadata, bank_account_id: String(row.id) } },
        { idempotencyKey: key }
      ),
    find: findSetupIntentOf,
    async lock(trx, row) {
      const locked = await BankAccount.query({ client: trx })
        .where('id', row.id)
        .forUpdate()
        .first()
      return locked?.status === 'pending' && !locked.stripeSetupIntentId ? locked : null
    },
    record: (trx, row, setupIntent) =>
      recordSetupIntent(trx, row, setupIntent, actors.stripe(`user:${row.employerId}`)).then(
        () => {}
      ),
    async refuse(trx, row, error) {
      await moveBankAccount(trx, row, 'fail', actors.stripe(`user:${row.employerId}`), {
        failureCode: error.code,
        failureMessage: error.message,
      })
    },
  }
}

async function sendSetup(row: BankAccount, params: Stripe.SetupIntentCreateParams) {
  const outcome = await sendToStripe(setupWrite(params), row)
  if (outcome.kind === 'unknown') {
    throw DomainError.unavailable(UNANSWERED)
  }
  if (outcome.kind === 'refused') {
    throw DomainError.invalid(outcome.error.message)
  }
  await row.refresh()
  return row
}

/**
 * Sandbox mode: saves a bank account from its numbers (microdeposits verify
 * it). Returns the row: waiting for verification, or verified.
 */
export async function addBankAccount(
  employer: User,
  details: BankAccountDetails,
  acceptance: MandateAcceptance,
  formToken: string
) {
  const customerId = await requireStripeCustomer(employer)
  const { row, twin } = await openRow(employer, details.holderType, acceptance, formToken)
  if (twin) {
    if (row.status === 'pending') {
      throw DomainError.conflict(
        'This bank account is already being saved. Reload the page in a moment.'
      )
    }
    return row
  }
  return sendSetup(row, {
    customer: customerId,
    confirm: true,
    usage: 'off_session',
    allowed_payment_method_types: ['us_bank_account'],
    payment_method_data: {
      type: 'us_bank_account',
      us_bank_account: {
        routing_number: details.routingNumber,
        account_number: details.accountNumber,
        account_holder_type: details.holderType,
      },
      billing_details: { name: details.holderName, email: employer.email },
    },
    payment_method_options: { us_bank_account: { verification_method: 'automatic' } },
    mandate_data: mandateData(acceptance),
    metadata: { employer_id: String(employer.id) },
    expand: SETUP_INTENT_EXPAND,
  })
}

/**
 * Real Stripe: a SetupIntent for Stripe.js to collect the account with
 * Financial Connections (instant verification, microdeposits as fallback).
 * Returns the row and the client secret the page needs.
 */
export async function startBankAccountCollection(
  employer: User,
  holderType: BankAccountDetails['holderType'],
  acceptance: MandateAcceptance,
  formToken: string
) {
  const customerId = await requireStripeCustomer(employer)
  const { row } = await openRow(employer, holderType, acceptance, formToken)
  if (row.status !== 'pending') {
    throw DomainError.conflict('This form was already used. Reload the page to add a bank account.')
  }
  if (!row.stripeSetupIntentId) {
    await sendSetup(row, {
      customer: customerId,
      usage: 'off_session',
      allowed_payment_method_types: ['us_bank_account'],
      payment_method_options: {
        us_bank_account: {
          verification_method: 'automatic',
          financial_connections: { permissions: ['payment_method'] },
        },
      },
      metadata: { employer_id: String(employer.id) },
      expand: SETUP_INTENT_EXPAND,
    })
  }
  const setupIntent = await stripe().setupIntents.retrieve(row.stripeSetupIntentId!)
  return { row, clientSecret: setupIntent.client_secret! }
}

/**
 * Real Stripe: Stripe.js has linked and confirmed the account; its outcome is
 * read from Stripe (never from the browser) and recorded, with the mandate
 * acceptance of this request.
 */
export async function finishBankAccountCollection(
  employer: User,
  bankAccountId: unknown,
  acceptance: MandateAcceptance
) {
  const row = await findOwnBankAccount(employer, bankAccountId)
  if (!row.stripeSetupIntentId) {
    throw DomainError.notFound('This bank account is not one of yours.')
  }
  const setupIntent = await stripe().setupIntents.retrieve(row.stripeSetupIntentId, {
    expand: SETUP_INTENT_EXPAND,
  })
  await db.transaction(async (trx) => {
    const locked = await BankAccount.query({ client: trx }).where('id', row.id).forUpdate().first()
    if (locked) {
      await recordSetupIntent(trx, locked, setupIntent, actors.stripe(`user:${employer.id}`))
      if (locked.status !== 'pending') {
        locked.merge(mandateColumns(acceptance))
        await locked.save()
      }
    }
  })
  await row.refresh()
  if (row.status === 'pending') {
    throw DomainError.invalid(
      'Your bank account was not linked yet. Choose your bank again to finish.'
    )
  }
  if (row.status === 'failed') {
    throw DomainError.invalid(row.failureMessage ?? 'This bank account could not be saved.')
  }
  return row
}
