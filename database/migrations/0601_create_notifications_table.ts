import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The mail outbox. A row is written in the transaction of the change it tells
 * about (nothing is sent when that transaction rolls back) and sent by a job
 * after the commit. `key` names the message and its occasion
 * (`order:42:delivered`): the unique index makes each one at most once.
 */
export default class extends BaseSchema {
  protected tableName = 'notifications'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.bigIncrements('id')
      table.string('key', 200).notNullable().unique()
      table.string('message', 60).notNullable()
      table.integer('user_id').nullable().references('id').inTable('users').onDelete('SET NULL')
      // Where it goes when there is no user (or the user is gone)
      table.string('to_email', 254).nullable()
      table.jsonb('data').notNullable().defaultTo('{}')
      table.string('status', 20).notNullable().defaultTo('queued')
      table.integer('attempts').notNullable().defaultTo(0)
      table.text('last_error').nullable()
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      table.timestamp('sending_at').nullable()
      table.timestamp('sent_at').nullable()
      table.check(`status IN ('queued', 'sending', 'sent', 'skipped', 'failed')`)
      table.check('user_id IS NOT NULL OR to_email IS NOT NULL')
      table.index(['status'])
      table.index(['user_id'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
