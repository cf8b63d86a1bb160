import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Webhook events are applied by a job, after the delivery was answered.
 *
 * - raw_payload: the event exactly as Stripe sent it (JSON text). PostgreSQL's
 *   jsonb refuses the escaped NUL character (\u0000) a name typed into Stripe
 *   can carry; text takes it. Events are applied from this column; `payload`
 *   keeps a queryable copy with such characters replaced.
 * - processing_started_at: the lease of whoever is applying the event (the
 *   job, `webhooks:retry`, `stripe:reconcile --fix`), so two never apply the
 *   same event at once.
 */
export default class extends BaseSchema {
  protected tableName = 'stripe_events'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      table.text('raw_payload').nullable()
      table.timestamp('processing_started_at').nullable()
    })
  }

  async down() {
    this.schema.alterTable(this.tableName, (table) => {
      table.dropColumn('processing_started_at')
      table.dropColumn('raw_payload')
    })
  }
}
