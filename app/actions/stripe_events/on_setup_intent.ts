import type Stripe from 'stripe'
import BankAccount from '#models/bank_account'
import { actors } from '#domain/actor'
import { followBankAccount } from '#actions/bank_accounts/manage_bank_account'

/**
 * setup_intent.*: a bank account follows its SetupIntent (verified, waiting
 * for its microdeposits, or failed: too many attempts, a timeout, deposits
 * that could not be sent). Read fresh from Stripe: events arrive in any order.
 * SetupIntents of cards are recorded when the employer comes back to the page.
 */
export default async function onSetupIntent(event: Stripe.Event, actor: string) {
  const setupIntent = event.data.object as Stripe.SetupIntent
  const bankAccount =
    (await BankAccount.findBy('stripeSetupIntentId', setupIntent.id)) ??
    (await BankAccount.query()
      .where('id', Number(setupIntent.metadata?.bank_account_id) || 0)
      .whereNull('stripeSetupIntentId')
      .first())
  if (!bankAccount) {
    return
  }
  await followBankAccount(bankAccount, actors.stripe(actor))
}
