import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Server-side sessions (@adonisjs/session's database store): logging out
 * deletes the row, so a copied cookie stops working, and a user's sessions
 * can be listed and ended (user_id is the session's tag).
 */
export default class extends BaseSchema {
  protected tableName = 'sessions'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id').primary()
      table.text('data').notNullable()
      table.string('user_id').nullable().index()
      table.timestamp('expires_at').notNullable().index()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
