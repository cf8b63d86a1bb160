import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Disputes on a payment request's payment (a destination charge to the
 * request's contractor, no order):
 *
 * - `disputes.payment_request_id`: the request the disputed payment paid
 *   (as `order_id` names the order), filled in for disputes already recorded;
 * - a dispute line without an order line is the request's: it names the
 *   contractor and their part of the disputed amount (one per dispute), and
 *   its recovery is a reversal of the payment's destination transfer or a
 *   debit without a line (one per dispute and contractor);
 * - disputes recorded before this had no line for a request payment: each
 *   gets its line now (the disputed amount, capped at what is left of the
 *   payment), with no share yet: an open one is recovered by the next drive,
 *   a closed one (already settled) only shows on the request's pages.
 *
 * Upgrades in place: no row is lost or changed beyond the new columns.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('disputes', (table) => {
      table.integer('payment_request_id').nullable().references('id').inTable('payment_requests')
      table.index(['payment_request_id'])
    })
    this.schema.raw(
      `UPDATE disputes SET payment_request_id = payments.payment_request_id
       FROM payments WHERE payments.id = disputes.payment_id AND payments.payment_request_id IS NOT NULL`
    )
    this.schema.alterTable('disputes', (table) => {
      table.check('order_id IS NULL OR payment_request_id IS NULL', [], 'disputes_order_or_request')
    })

    this.schema.raw('ALTER TABLE dispute_lines ALTER COLUMN order_line_id DROP NOT NULL')
    // A request payment's dispute has one line: its contractor's
    this.schema.raw(
      `CREATE UNIQUE INDEX dispute_lines_one_per_request_dispute ON dispute_lines (dispute_id)
       WHERE order_line_id IS NULL`
    )
    this.schema.raw(
      `CREATE UNIQUE INDEX contractor_debits_one_per_dispute_contractor ON contractor_debits
       (dispute_id, contractor_id) WHERE dispute_id IS NOT NULL AND order_line_id IS NULL`
    )
    this.schema.raw(
      `INSERT INTO dispute_lines (dispute_id, order_line_id, contractor_id, amount, fee_share, created_at, updated_at)
       SELECT disputes.id, NULL, payment_requests.contractor_id,
              LEAST(disputes.amount, GREATEST(0, payments.amount_captured - payments.amount_refunded)),
              0, NOW(), NOW()
       FROM disputes
       JOIN payments ON payments.id = disputes.payment_id
       JOIN payment_requests ON payment_requests.id = payments.payment_request_id
       WHERE NOT EXISTS (SELECT 1 FROM dispute_lines WHERE dispute_lines.dispute_id = disputes.id)`
    )
  }

  async down() {
    // Request lines cannot exist without an order line before this: they go, their disputes stay
    this.schema.raw('DELETE FROM dispute_lines WHERE order_line_id IS NULL')
    this.schema.raw('DROP INDEX IF EXISTS contractor_debits_one_per_dispute_contractor')
    this.schema.raw('DROP INDEX IF EXISTS dispute_lines_one_per_request_dispute')
    this.schema.raw('ALTER TABLE dispute_lines ALTER COLUMN order_line_id SET NOT NULL')
    this.schema.alterTable('disputes', (table) => {
      table.dropChecks(['disputes_order_or_request'])
      table.dropColumn('payment_request_id')
    })
  }
}
