import { BaseSchema } from '@adonisjs/lucid/schema'

const ORDER_STATUSES = [
  'pending',
  'authorized',
  'accepted',
  'delivered',
  'captured',
  'canceled',
  'expired',
  'failed',
  'partially_refunded',
  'refunded',
]

export default class extends BaseSchema {
  protected tableName = 'orders'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.integer('employer_id').notNullable().references('id').inTable('users')
      table.integer('contractor_id').notNullable().references('id').inTable('users')
      table.integer('service_id').notNullable().references('id').inTable('services')
      // Unique per record, part of its Stripe idempotency keys (ids restart, uuids do not)
      table.uuid('reference').notNullable().unique().defaultTo(this.raw('gen_random_uuid()'))
      table.text('note').nullable()

      // Money, in minor units of `currency`
      table.bigInteger('amount').notNullable()
      table.string('currency', 3).notNullable()
      table.bigInteger('application_fee_amount').notNullable()
      table.bigInteger('amount_captured').notNullable().defaultTo(0)
      table.bigInteger('amount_refunded').notNullable().defaultTo(0)

      // `pending` = the row exists, Stripe has not answered yet
      table.string('status', 24).notNullable()
      table.string('payment_method_id', 64).nullable()
      // Each authorization attempt (a retry with another card) has its own idempotency key
      table.integer('authorization_attempts').notNullable().defaultTo(0)
      table.string('stripe_payment_intent_id', 64).nullable().unique()
      table.string('stripe_charge_id', 64).nullable()
      table.string('stripe_transfer_id', 64).nullable()
      table.text('failure_message').nullable()
      table.string('cancellation_reason', 40).nullable()
      table.timestamp('hold_expires_at').nullable()
      table.timestamp('disputed_at').nullable()
      table.string('dispute_reason', 60).nullable()

      table.timestamp('authorized_at').nullable()
      table.timestamp('accepted_at').nullable()
      table.timestamp('delivered_at').nullable()
      table.timestamp('captured_at').nullable()
      table.timestamp('canceled_at').nullable()
      table.timestamp('failed_at').nullable()
      table.timestamp('refunded_at').nullable()
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()

      table.index(['employer_id', 'id'])
      table.index(['contractor_id', 'id'])
      table.index(['status', 'hold_expires_at'])
      table.check(`status IN (${ORDER_STATUSES.map((s) => `'${s}'`).join(', ')})`)
      table.check('amount > 0')
      table.check('application_fee_amount >= 0 AND application_fee_amount <= amount')
      table.check('amount_refunded >= 0 AND amount_refunded <= amount_captured')
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
