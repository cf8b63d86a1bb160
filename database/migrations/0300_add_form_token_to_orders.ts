import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The token rendered into an order form: the same form submitted twice (a
 * double click, a resent request) is one order with one hold.
 */
export default class extends BaseSchema {
  protected tableName = 'orders'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      table.uuid('form_token').nullable()
      table.unique(['employer_id', 'form_token'])
    })
  }

  async down() {
    this.schema.alterTable(this.tableName, (table) => {
      table.dropUnique(['employer_id', 'form_token'])
      table.dropColumn('form_token')
    })
  }
}
