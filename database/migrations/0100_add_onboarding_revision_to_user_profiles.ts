import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Counts the contractor's successful onboarding writes to Stripe. It is part
 * of their idempotency keys, so a double submit replays the first answer
 * while a later correction (even back to earlier values) is a new request.
 */
export default class extends BaseSchema {
  protected tableName = 'user_profiles'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      table.integer('onboarding_revision').notNullable().defaultTo(0)
    })
  }

  async down() {
    this.schema.alterTable(this.tableName, (table) => {
      table.dropColumn('onboarding_revision')
    })
  }
}
