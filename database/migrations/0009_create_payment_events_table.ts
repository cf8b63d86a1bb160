import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Append-only audit of every money movement and order transition. The
 * database itself refuses UPDATE and DELETE on it.
 */
export default class extends BaseSchema {
  protected tableName = 'payment_events'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.integer('order_id').nullable().references('id').inTable('orders')
      table.integer('contractor_debit_id').nullable().references('id').inTable('contractor_debits')
      table.integer('refund_id').nullable().references('id').inTable('refunds')
      // user:12, webhook:evt_…, console:<os user>, system:holds
      table.string('actor', 120).notNullable()
      table.string('type', 60).notNullable()
      table.string('from_status', 24).nullable()
      table.string('to_status', 24).nullable()
      table.bigInteger('amount').nullable()
      table.string('currency', 3).nullable()
      table.string('stripe_id', 64).nullable()
      table.text('message').nullable()
      table.timestamp('created_at').notNullable()
      table.index(['order_id', 'id'])
    })

    this.schema.raw(`
      CREATE FUNCTION payment_events_append_only() RETURNS trigger AS $$
      BEGIN
        RAISE EXCEPTION 'payment_events is append-only';
      END;
      $$ LANGUAGE plpgsql
    `)
    this.schema.raw(`
      CREATE TRIGGER payment_events_append_only
      BEFORE UPDATE OR DELETE ON payment_events
      FOR EACH ROW EXECUTE FUNCTION payment_events_append_only()
    `)
  }

  async down() {
    this.schema.dropTable(this.tableName)
    this.schema.raw('DROP FUNCTION IF EXISTS payment_events_append_only()')
  }
}
