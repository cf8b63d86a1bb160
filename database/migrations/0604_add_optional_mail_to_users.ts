import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Whether the user wants optional mail (welcome, status updates, reminders).
 * Transactional and security mail is always sent. On by default, existing
 * users included.
 */
export default class extends BaseSchema {
  protected tableName = 'users'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      table.boolean('optional_mail').notNullable().defaultTo(true)
    })
  }

  async down() {
    this.schema.alterTable(this.tableName, (table) => {
      table.dropColumn('optional_mail')
    })
  }
}
