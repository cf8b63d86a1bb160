import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'users'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.string('email', 254).notNullable()
      table.string('password').notNullable()
      table.string('full_name', 120).notNullable()
      table.string('role', 20).notNullable()
      // Unique per record, part of its Stripe idempotency keys (ids restart, uuids do not)
      table.uuid('reference').notNullable().unique().defaultTo(this.raw('gen_random_uuid()'))
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()
      table.check(`role IN ('employer', 'contractor', 'admin')`)
    })
    // Emails are unique whatever their case
    this.schema.raw('CREATE UNIQUE INDEX users_email_lower_unique ON users (lower(email))')
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
