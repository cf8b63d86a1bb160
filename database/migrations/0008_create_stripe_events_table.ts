import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'stripe_events'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.string('stripe_event_id', 64).notNullable().unique()
      table.string('type', 80).notNullable()
      // Set for events that happened on a connected account
      table.string('account', 64).nullable()
      table.boolean('livemode').notNullable().defaultTo(false)
      table.jsonb('payload').notNullable()
      table.timestamp('received_at').notNullable()
      table.timestamp('processed_at').nullable()
      table.text('processing_error').nullable()
      table.integer('attempts').notNullable().defaultTo(0)
      table.index(['processed_at'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
