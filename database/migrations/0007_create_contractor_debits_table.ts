import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'contractor_debits'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.integer('contractor_id').notNullable().references('id').inTable('users')
      // Unique per record, part of its Stripe idempotency keys (ids restart, uuids do not)
      table.uuid('reference').notNullable().unique().defaultTo(this.raw('gen_random_uuid()'))
      table.integer('order_id').nullable().references('id').inTable('orders')
      table.bigInteger('amount').notNullable()
      table.string('currency', 3).notNullable()
      table.string('reason', 500).notNullable()
      // pending (row written, Stripe not answered yet), succeeded, failed
      table.string('status', 20).notNullable()
      // The py_ payment the account debit created on the platform
      table.string('stripe_id', 64).nullable().unique()
      table.string('failure_message').nullable()
      table.string('initiated_by', 120).notNullable()
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()
      table.index(['contractor_id'])
      table.check('amount > 0')
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
