import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * An employer's cart: the services chosen before checking out, kept across
 * sessions (it survives logging out). One row per service.
 */
export default class extends BaseSchema {
  protected tableName = 'cart_items'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table
        .integer('employer_id')
        .notNullable()
        .references('id')
        .inTable('users')
        .onDelete('CASCADE')
      table
        .integer('service_id')
        .notNullable()
        .references('id')
        .inTable('services')
        .onDelete('CASCADE')
      table.timestamp('created_at').notNullable()
      table.unique(['employer_id', 'service_id'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
