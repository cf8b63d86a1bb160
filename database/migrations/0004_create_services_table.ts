import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'services'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table
        .integer('contractor_id')
        .notNullable()
        .references('id')
        .inTable('users')
        .onDelete('CASCADE')
      table.string('title', 120).notNullable()
      table.text('description').notNullable()
      // Minor units of `currency` (cents, or yen for JPY)
      table.bigInteger('price').notNullable()
      table.string('currency', 3).notNullable()
      table.boolean('active').notNullable().defaultTo(true)
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()
      table.index(['contractor_id'])
      table.check('price > 0')
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
