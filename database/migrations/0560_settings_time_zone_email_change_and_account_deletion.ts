import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Settings (issue 17):
 * - `users.time_zone`: the IANA zone every time is shown in (UTC for
 *   existing users; new ones get their browser's at signup).
 * - `users.deleted_at`: an account deleted by its owner. The row stays (orders,
 *   payments and the audit point at it) with the name and email anonymised.
 * - `email_changes`: a change of email waiting for the link mailed to the new
 *   address. Only the SHA-256 of the token is kept; single use, 24 hours.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('users', (table) => {
      table.string('time_zone', 64).notNullable().defaultTo('UTC')
      table.timestamp('deleted_at').nullable()
    })
    this.schema.createTable('email_changes', (table) => {
      table.bigIncrements('id')
      table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
      table.string('new_email', 254).notNullable()
      table.string('token_hash', 64).notNullable().unique()
      table.timestamp('expires_at').notNullable()
      table.timestamp('used_at').nullable()
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      table.index(['user_id'])
    })
  }

  async down() {
    this.schema.dropTable('email_changes')
    this.schema.alterTable('users', (table) => {
      table.dropColumn('deleted_at')
      table.dropColumn('time_zone')
    })
  }
}
