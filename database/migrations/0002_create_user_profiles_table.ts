import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'user_profiles'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table
        .integer('user_id')
        .notNullable()
        .unique()
        .references('id')
        .inTable('users')
        .onDelete('CASCADE')
      // cus_… for employers, acct_… for contractors
      table.string('stripe_id', 64).nullable().unique()
      table.string('default_payment_method_id', 64).nullable()
      table.string('default_currency', 3).notNullable().defaultTo('usd')
      // Per-contractor commission override; null means the platform default
      table.integer('fee_basis_points_override').nullable()
      table.bigInteger('fee_fixed_override').nullable()

      // Contractor verification snapshot, refreshed from Stripe (account.updated)
      table.boolean('charges_enabled').notNullable().defaultTo(false)
      table.boolean('payouts_enabled').notNullable().defaultTo(false)
      table.boolean('details_submitted').notNullable().defaultTo(false)
      table.string('transfers_capability', 20).nullable()
      table.jsonb('requirements_currently_due').notNullable().defaultTo('[]')
      table.jsonb('requirements_eventually_due').notNullable().defaultTo('[]')
      table.jsonb('requirements_past_due').notNullable().defaultTo('[]')
      table.jsonb('requirements_pending_verification').notNullable().defaultTo('[]')
      table.jsonb('requirements_errors').notNullable().defaultTo('[]')
      table.string('disabled_reason', 80).nullable()
      table.timestamp('stripe_synced_at').nullable()

      // ToS acceptance as recorded with Stripe
      table.timestamp('tos_accepted_at').nullable()
      table.string('tos_ip', 64).nullable()
      table.string('tos_user_agent', 500).nullable()

      // Only what can be shown of the payout bank account
      table.string('bank_name', 120).nullable()
      table.string('bank_last4', 4).nullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
