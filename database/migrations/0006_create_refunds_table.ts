import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'refunds'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.integer('order_id').notNullable().references('id').inTable('orders')
      // Unique per record, part of its Stripe idempotency keys (ids restart, uuids do not)
      table.uuid('reference').notNullable().unique().defaultTo(this.raw('gen_random_uuid()'))
      table.bigInteger('amount').notNullable()
      table.string('currency', 3).notNullable()
      table.string('reason', 40).nullable()
      table.boolean('reverse_transfer').notNullable()
      table.boolean('refund_application_fee').notNullable()
      // pending (row written, Stripe not answered yet), succeeded, failed, canceled
      table.string('status', 20).notNullable()
      table.string('stripe_refund_id', 64).nullable().unique()
      table.string('failure_message').nullable()
      table.string('initiated_by', 120).notNullable()
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()
      table.index(['order_id'])
      table.check('amount > 0')
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
