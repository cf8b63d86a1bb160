import { BaseSchema } from '@adonisjs/lucid/schema'

const BANK_ACCOUNT_STATUSES = ['pending', 'requires_verification', 'verified', 'failed', 'removed']

/**
 * Bank debits (ACH) and 3-D Secure.
 *
 * - `bank_accounts`: an employer's US bank account as Crewpay knows it. Stripe
 *   holds the account (a `us_bank_account` PaymentMethod saved by a
 *   SetupIntent); only the bank's name and the last 4 digits are kept here,
 *   never the account number, with the verification state and the ACH debit
 *   authorization (mandate) the employer accepted: when, from which IP, with
 *   which browser. A row is written `pending` before the SetupIntent is
 *   created (its reference is part of the idempotency key).
 * - `orders.replaces_order_id`: "Pay again" after a failed payment places a
 *   new order for the same services (the failed one's lines are canceled, and
 *   states only move forward); the unique index allows one replacement.
 * - `payments.on_session`: the employer was there when the payment was
 *   confirmed (an order placed from the website), so Stripe may ask them to
 *   authenticate (3-D Secure) and send them back; part of what the payment
 *   sends to Stripe, so a retry sends the same request.
 *
 * Existing rows: no bank accounts exist; existing orders replace none; existing
 * payments were confirmed off session (what the app did until now).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('bank_accounts', (table) => {
      table.increments('id')
      table.uuid('reference').notNullable().unique().defaultTo(this.raw('gen_random_uuid()'))
      table
        .integer('employer_id')
        .notNullable()
        .references('id')
        .inTable('users')
        .onDelete('CASCADE')
      // The add form's token: the same form sent twice is one bank account
      table.uuid('form_token').nullable()
      table.string('status', 24).notNullable()
      table.string('stripe_setup_intent_id', 64).nullable().unique()
      table.string('stripe_payment_method_id', 64).nullable().unique()
      table.string('stripe_mandate_id', 64).nullable()
      // What is shown: never the account number
      table.string('bank_name', 120).nullable()
      table.string('last4', 4).nullable()
      table.string('account_holder_type', 12).notNullable()
      // How it is verified: Financial Connections (instant) or microdeposits
      table.string('verification_method', 20).nullable()
      table.string('microdeposit_type', 20).nullable()
      table.timestamp('microdeposits_arrive_at').nullable()
      table.string('failure_code', 80).nullable()
      table.text('failure_message').nullable()
      // The ACH debit authorization the employer accepted
      table.string('mandate_version', 40).notNullable()
      table.timestamp('mandate_accepted_at').notNullable()
      table.string('mandate_ip', 64).notNullable()
      table.string('mandate_user_agent', 500).nullable()
      table.timestamp('verified_at').nullable()
      table.timestamp('failed_at').nullable()
      table.timestamp('removed_at').nullable()
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()
      table.unique(['employer_id', 'form_token'])
      table.index(['employer_id', 'status'])
      table.check(
        `status IN (${BANK_ACCOUNT_STATUSES.map((status) => `'${status}'`).join(', ')})`,
        [],
        'bank_accounts_status'
      )
      table.check(
        `account_holder_type IN ('individual', 'company')`,
        [],
        'bank_accounts_holder_type'
      )
      table.check(`last4 IS NULL OR last4 ~ '^[0-9]{4}$'`, [], 'bank_accounts_last4')
    })

    this.schema.alterTable('orders', (table) => {
      table
        .integer('replaces_order_id')
        .nullable()
        .unique()
        .references('id')
        .inTable('orders')
        .onDelete('SET NULL')
    })

    this.schema.alterTable('payments', (table) => {
      table.boolean('on_session').notNullable().defaultTo(false)
    })
  }

  async down() {
    this.schema.alterTable('payments', (table) => {
      table.dropColumn('on_session')
    })
    this.schema.alterTable('orders', (table) => {
      table.dropColumn('replaces_order_id')
    })
    this.schema.dropTable('bank_accounts')
  }
}
