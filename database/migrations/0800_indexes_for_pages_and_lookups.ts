import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Indexes the pages and lookups need at a million orders (issue 18; the
 * EXPLAIN figures are in benchmarks/QUERIES.md):
 *
 * - the orders and payment requests lists go newest first by (created_at,
 *   id) with a keyset cursor (app/services/keyset.ts): an employer's orders
 *   and a contractor's requests by their owner, a contractor's orders (found
 *   through their lines) walking every order newest first;
 * - a page's rows read every payment of their orders (rowsOf): only the
 *   live one per order had an index;
 * - an order line by its service (a service's orders, deleting a service);
 * - events by when they were received (reconciliation's window).
 *
 * IF NOT EXISTS: an index of the same name made by another branch is kept.
 * Plain CREATE INDEX (not CONCURRENTLY): migrations run in a transaction; on
 * a large live table build these by hand with CONCURRENTLY first.
 */
const INDEXES = [
  ['orders_employer_id_created_at_id_index', 'orders', 'employer_id, created_at, id'],
  ['orders_created_at_id_index', 'orders', 'created_at, id'],
  [
    'payment_requests_contractor_id_created_at_id_index',
    'payment_requests',
    'contractor_id, created_at, id',
  ],
  ['payments_order_id_index', 'payments', 'order_id'],
  ['order_lines_service_id_index', 'order_lines', 'service_id'],
  ['stripe_events_received_at_index', 'stripe_events', 'received_at'],
] as const

export default class extends BaseSchema {
  async up() {
    for (const [name, table, columns] of INDEXES) {
      this.schema.raw(`CREATE INDEX IF NOT EXISTS "${name}" ON "${table}" (${columns})`)
    }
  }

  async down() {
    for (const [name] of INDEXES) {
      this.schema.raw(`DROP INDEX IF EXISTS "${name}"`)
    }
  }
}
