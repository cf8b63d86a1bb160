import { BaseSchema } from '@adonisjs/lucid/schema'

const LINE_STATUSES = ['requested', 'accepted', 'delivered', 'approved', 'declined', 'canceled']
const PAYMENT_STATUSES = [
  'pending',
  'requires_action',
  'processing',
  'authorized',
  'succeeded',
  'partially_refunded',
  'refunded',
  'canceled',
  'failed',
]

function list(values: string[]) {
  return values.map((value) => `'${value}'`).join(', ')
}

/**
 * The payments core: the work and the money become separate records.
 *
 * - `order_lines`: one per service ordered (contractor, price snapshot, fee
 *   and the plan that made it, work status);
 * - `payments`: one per PaymentIntent (flow `hold` or `charge`, amounts,
 *   status, Stripe ids, the capture or cancel being sent);
 * - `transfers`: the money each line's contractor receives (also a
 *   destination charge's automatic transfer), and `transfer_reversals`;
 * - refunds point at a payment (and a line when they concern one).
 *
 * Every first-stage order becomes an order with one line and one `hold`
 * payment, keeping its reference (part of its Stripe keys), amounts, Stripe
 * ids and timestamps; its destination transfer becomes a transfer. The
 * columns that moved are then dropped from `orders`. `down()` rebuilds them
 * for orders of one line.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('order_lines', (table) => {
      table.increments('id')
      table.uuid('reference').notNullable().unique().defaultTo(this.raw('gen_random_uuid()'))
      table.integer('order_id').notNullable().references('id').inTable('orders').onDelete('CASCADE')
      table.integer('contractor_id').notNullable().references('id').inTable('users')
      // Kept when the service is deleted later: the title and price are snapshots
      table
        .integer('service_id')
        .nullable()
        .references('id')
        .inTable('services')
        .onDelete('SET NULL')
      table.string('title', 120).notNullable()
      // Minor units of the order's currency
      table.bigInteger('unit_price').notNullable()
      table.bigInteger('amount').notNullable()
      table.bigInteger('fee_amount').notNullable()
      // The contractor's fee plan in force when ordered (null for first-stage orders)
      table.jsonb('fee_plan').nullable()
      table.string('status', 20).notNullable()
      table.text('decline_reason').nullable()
      table.timestamp('accepted_at').nullable()
      table.timestamp('delivered_at').nullable()
      table.timestamp('approved_at').nullable()
      table.timestamp('declined_at').nullable()
      table.timestamp('canceled_at').nullable()
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()
      table.index(['order_id'])
      table.index(['contractor_id', 'order_id'])
      table.index(['status', 'delivered_at'])
      table.index(['status', 'created_at'])
      table.check(`status IN (${list(LINE_STATUSES)})`, [], 'order_lines_status')
      table.check('amount > 0 AND unit_price > 0', [], 'order_lines_amount')
      table.check('fee_amount >= 0 AND fee_amount <= amount', [], 'order_lines_fee')
    })

    this.schema.createTable('payments', (table) => {
      table.increments('id')
      table.uuid('reference').notNullable().unique().defaultTo(this.raw('gen_random_uuid()'))
      table.integer('order_id').nullable().references('id').inTable('orders').onDelete('CASCADE')
      table.integer('employer_id').notNullable().references('id').inTable('users')
      table.string('method_type', 20).notNullable()
      table.string('payment_method_id', 64).nullable()
      table.string('flow', 10).notNullable()
      // Minor units of `currency`
      table.bigInteger('amount').notNullable()
      table.string('currency', 3).notNullable()
      // The destination charge's fee (hold flow); lines carry theirs in the charge flow
      table.bigInteger('application_fee_amount').nullable()
      table.bigInteger('amount_captured').notNullable().defaultTo(0)
      table.bigInteger('amount_refunded').notNullable().defaultTo(0)
      // Stripe's processing fee on the charge, once known
      table.bigInteger('stripe_fee').nullable()
      table.string('status', 24).notNullable()
      // A capture or cancel written before it is sent: at most one at a time
      table.string('pending_action', 10).nullable()
      table.bigInteger('pending_action_amount').nullable()
      table.bigInteger('pending_action_fee').nullable()
      table.string('pending_action_reason', 40).nullable()
      table.string('pending_action_actor', 120).nullable()
      table.timestamp('pending_action_at').nullable()
      table.string('stripe_payment_intent_id', 64).nullable().unique()
      table.string('stripe_charge_id', 64).nullable().unique()
      table.timestamp('capture_before').nullable()
      table.timestamp('expected_at').nullable()
      table.string('failure_code', 60).nullable()
      table.text('failure_message').nullable()
      table.string('cancellation_reason', 40).nullable()
      table.boolean('disputed').notNullable().defaultTo(false)
      table.timestamp('authorized_at').nullable()
      table.timestamp('succeeded_at').nullable()
      table.timestamp('canceled_at').nullable()
      table.timestamp('failed_at').nullable()
      table.timestamp('refunded_at').nullable()
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()
      table.index(['employer_id', 'id'])
      table.index(['status', 'capture_before'])
      table.check(`status IN (${list(PAYMENT_STATUSES)})`, [], 'payments_status')
      table.check(`flow IN ('hold', 'charge')`, [], 'payments_flow')
      table.check(`method_type IN ('card', 'us_bank_account')`, [], 'payments_method_type')
      table.check(`pending_action IN ('capture', 'cancel')`, [], 'payments_pending_action')
      table.check('amount > 0', [], 'payments_amount')
      table.check(
        'application_fee_amount IS NULL OR (application_fee_amount >= 0 AND application_fee_amount <= amount)',
        [],
        'payments_fee'
      )
      table.check(
        'amount_refunded >= 0 AND amount_refunded <= amount_captured AND amount_captured <= amount',
        [],
        'payments_refunded'
      )
    })
    // One live payment per order: a second authorization cannot be written
    this.schema.raw(
      `CREATE UNIQUE INDEX payments_one_live_per_order ON payments (order_id)
       WHERE order_id IS NOT NULL AND status NOT IN ('failed', 'canceled')`
    )

    // A destination transfer's amount is Stripe's: the whole charge, the
    // application fee being collected back from the contractor
    this.schema.createTable('transfers', (table) => {
      table.increments('id')
      table.uuid('reference').notNullable().unique().defaultTo(this.raw('gen_random_uuid()'))
      table.integer('payment_id').notNullable().references('id').inTable('payments')
      // One transfer per line paid out: the pending row stops a second one
      table.integer('order_line_id').nullable().unique().references('id').inTable('order_lines')
      table.integer('contractor_id').notNullable().references('id').inTable('users')
      table.string('destination', 64).notNullable()
      // destination: made by Stripe with a destination charge; separate: sent by us
      table.string('kind', 12).notNullable()
      table.bigInteger('amount').notNullable()
      table.string('currency', 3).notNullable()
      table.bigInteger('amount_reversed').notNullable().defaultTo(0)
      // Stripe's processing fee passed on to the contractor (STRIPE_FEE_PASSTHROUGH)
      table.bigInteger('stripe_fee_share').notNullable().defaultTo(0)
      table.string('status', 12).notNullable()
      table.string('stripe_transfer_id', 64).nullable().unique()
      table.integer('attempts').notNullable().defaultTo(1)
      table.text('failure_message').nullable()
      table.string('initiated_by', 120).notNullable()
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()
      table.index(['payment_id'])
      table.index(['contractor_id', 'id'])
      table.check(`kind IN ('destination', 'separate')`, [], 'transfers_kind')
      table.check(`status IN ('pending', 'paid', 'failed')`, [], 'transfers_status')
      table.check('amount > 0', [], 'transfers_amount')
      table.check('amount_reversed >= 0 AND amount_reversed <= amount', [], 'transfers_reversed')
    })

    this.schema.alterTable('refunds', (table) => {
      table.integer('payment_id').nullable().references('id').inTable('payments')
      table.integer('order_line_id').nullable().references('id').inTable('order_lines')
      // admin (console), line_canceled (a declined or canceled line of a charge)
      table.string('cause', 20).notNullable().defaultTo('admin')
      table.index(['payment_id'])
    })
    // A canceled line is refunded once
    this.schema.raw(
      `CREATE UNIQUE INDEX refunds_one_per_canceled_line ON refunds (order_line_id)
       WHERE cause = 'line_canceled' AND status <> 'failed'`
    )

    this.schema.createTable('transfer_reversals', (table) => {
      table.increments('id')
      table.uuid('reference').notNullable().unique().defaultTo(this.raw('gen_random_uuid()'))
      table.integer('transfer_id').notNullable().references('id').inTable('transfers')
      table.integer('refund_id').nullable().unique().references('id').inTable('refunds')
      table.bigInteger('amount').notNullable()
      table.string('currency', 3).notNullable()
      table.string('status', 12).notNullable()
      table.string('stripe_reversal_id', 64).nullable().unique()
      table.text('failure_message').nullable()
      table.string('initiated_by', 120).notNullable()
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()
      table.index(['transfer_id'])
      table.check(`status IN ('pending', 'succeeded', 'failed')`, [], 'transfer_reversals_status')
      table.check('amount > 0', [], 'transfer_reversals_amount')
    })

    this.schema.alterTable('contractor_debits', (table) => {
      table.integer('order_line_id').nullable().references('id').inTable('order_lines')
      // Each collection of an owed debit is a new attempt with its own key
      table.integer('attempts').notNullable().defaultTo(1)
    })

    this.schema.alterTable('payment_events', (table) => {
      table.integer('order_line_id').nullable().references('id').inTable('order_lines')
      table.integer('payment_id').nullable().references('id').inTable('payments')
      table.integer('transfer_id').nullable().references('id').inTable('transfers')
    })

    this.defer(async (db) => {
      // Lines: the first-stage order's single contractor and service
      await db.rawQuery(`
        INSERT INTO order_lines (order_id, contractor_id, service_id, title, unit_price, amount,
          fee_amount, fee_plan, status, accepted_at, delivered_at, approved_at, declined_at,
          canceled_at, created_at, updated_at)
        SELECT o.id, o.contractor_id, o.service_id, s.title, o.amount, o.amount,
          o.application_fee_amount, NULL,
          CASE
            WHEN o.status IN ('captured', 'partially_refunded', 'refunded') THEN 'approved'
            WHEN o.status IN ('pending', 'authorized') THEN 'requested'
            WHEN o.status = 'accepted' THEN 'accepted'
            WHEN o.status = 'delivered' THEN 'delivered'
            WHEN o.status = 'canceled' AND EXISTS (
              SELECT 1 FROM payment_events e WHERE e.order_id = o.id
                AND e.type = 'order.canceled' AND e.actor = 'user:' || o.contractor_id
            ) THEN 'declined'
            ELSE 'canceled'
          END,
          o.accepted_at, o.delivered_at,
          CASE WHEN o.status IN ('captured', 'partially_refunded', 'refunded') THEN o.captured_at END,
          CASE WHEN o.status = 'canceled' AND EXISTS (
              SELECT 1 FROM payment_events e WHERE e.order_id = o.id
                AND e.type = 'order.canceled' AND e.actor = 'user:' || o.contractor_id
            ) THEN o.canceled_at END,
          CASE WHEN o.status IN ('canceled', 'expired', 'failed')
            THEN COALESCE(o.canceled_at, o.failed_at, o.updated_at) END,
          o.created_at, o.updated_at
        FROM orders o JOIN services s ON s.id = o.service_id
        ORDER BY o.id
      `)
      // A declined line is not also canceled
      await db.rawQuery(`UPDATE order_lines SET canceled_at = NULL WHERE status = 'declined'`)

      // Payments: the order's hold, keeping the order's reference (its Stripe keys)
      await db.rawQuery(`
        INSERT INTO payments (reference, order_id, employer_id, method_type, payment_method_id,
          flow, amount, currency, application_fee_amount, amount_captured, amount_refunded,
          status, stripe_payment_intent_id, stripe_charge_id, capture_before, failure_message,
          cancellation_reason, disputed, authorized_at, succeeded_at, canceled_at, failed_at,
          refunded_at, created_at, updated_at)
        SELECT o.reference, o.id, o.employer_id, 'card', o.payment_method_id, 'hold', o.amount,
          o.currency, o.application_fee_amount, o.amount_captured, o.amount_refunded,
          CASE o.status
            WHEN 'pending' THEN 'pending'
            WHEN 'authorized' THEN 'authorized'
            WHEN 'accepted' THEN 'authorized'
            WHEN 'delivered' THEN 'authorized'
            WHEN 'captured' THEN 'succeeded'
            WHEN 'partially_refunded' THEN 'partially_refunded'
            WHEN 'refunded' THEN 'refunded'
            WHEN 'failed' THEN 'failed'
            ELSE 'canceled'
          END,
          o.stripe_payment_intent_id, o.stripe_charge_id, o.hold_expires_at, o.failure_message,
          CASE WHEN o.status = 'expired' THEN COALESCE(o.cancellation_reason, 'automatic')
            ELSE o.cancellation_reason END,
          o.disputed_at IS NOT NULL, o.authorized_at, o.captured_at, o.canceled_at, o.failed_at,
          o.refunded_at, o.created_at, o.updated_at
        FROM orders o
        ORDER BY o.id
      `)

      // The destination charge's automatic transfer
      await db.rawQuery(`
        INSERT INTO transfers (payment_id, order_line_id, contractor_id, destination, kind,
          amount, currency, status, stripe_transfer_id, initiated_by, created_at, updated_at)
        SELECT p.id, l.id, l.contractor_id, up.stripe_id, 'destination',
          p.amount_captured, p.currency, 'paid',
          o.stripe_transfer_id, 'stripe', COALESCE(p.succeeded_at, p.updated_at), p.updated_at
        FROM orders o
        JOIN payments p ON p.order_id = o.id
        JOIN order_lines l ON l.order_id = o.id
        JOIN user_profiles up ON up.user_id = l.contractor_id
        WHERE o.stripe_transfer_id IS NOT NULL
          AND p.amount_captured > 0
      `)

      await db.rawQuery(`
        UPDATE refunds r SET payment_id = p.id
        FROM payments p WHERE p.order_id = r.order_id
      `)
      await db.rawQuery(`
        UPDATE contractor_debits d SET order_line_id = l.id
        FROM order_lines l WHERE l.order_id = d.order_id
      `)
      await db.rawQuery(`
        UPDATE contractor_debits d SET attempts = GREATEST(1, (
          SELECT count(*) FROM payment_events e
          WHERE e.contractor_debit_id = d.id AND e.type = 'contractor_debit.requested'))
      `)
    })

    this.schema.alterTable('refunds', (table) => {
      table.integer('payment_id').notNullable().alter()
      table.integer('order_id').nullable().alter()
    })

    // Dropping a column drops its indexes and checks with it
    this.schema.alterTable('orders', (table) => {
      table.dropColumns(
        'contractor_id',
        'service_id',
        'application_fee_amount',
        'amount_captured',
        'amount_refunded',
        'status',
        'payment_method_id',
        'authorization_attempts',
        'stripe_payment_intent_id',
        'stripe_charge_id',
        'stripe_transfer_id',
        'failure_message',
        'cancellation_reason',
        'hold_expires_at',
        'disputed_at',
        'dispute_reason',
        'authorized_at',
        'accepted_at',
        'delivered_at',
        'captured_at',
        'canceled_at',
        'failed_at',
        'refunded_at'
      )
    })
    this.schema.alterTable('orders', (table) => {
      table.renameColumn('amount', 'total')
    })
  }

  async down() {
    this.schema.alterTable('orders', (table) => {
      table.renameColumn('total', 'amount')
    })
    this.schema.alterTable('orders', (table) => {
      table.integer('contractor_id').nullable().references('id').inTable('users')
      table.integer('service_id').nullable().references('id').inTable('services')
      table.bigInteger('application_fee_amount').notNullable().defaultTo(0)
      table.bigInteger('amount_captured').notNullable().defaultTo(0)
      table.bigInteger('amount_refunded').notNullable().defaultTo(0)
      table.string('status', 24).notNullable().defaultTo('pending')
      table.string('payment_method_id', 64).nullable()
      table.integer('authorization_attempts').notNullable().defaultTo(0)
      table.string('stripe_payment_intent_id', 64).nullable().unique()
      table.string('stripe_charge_id', 64).nullable()
      table.string('stripe_transfer_id', 64).nullable()
      table.text('failure_message').nullable()
      table.string('cancellation_reason', 40).nullable()
      table.timestamp('hold_expires_at').nullable()
      table.timestamp('disputed_at').nullable()
      table.string('dispute_reason', 60).nullable()
      for (const column of [
        'authorized_at',
        'accepted_at',
        'delivered_at',
        'captured_at',
        'canceled_at',
        'failed_at',
        'refunded_at',
      ]) {
        table.timestamp(column).nullable()
      }
      table.index(['contractor_id', 'id'])
    })
    this.defer(async (db) => {
      await db.rawQuery(`
        UPDATE orders o SET contractor_id = l.contractor_id, service_id = l.service_id,
          application_fee_amount = COALESCE(p.application_fee_amount, l.fee_amount),
          amount_captured = p.amount_captured, amount_refunded = p.amount_refunded,
          status = CASE
            WHEN p.status = 'succeeded' THEN 'captured'
            WHEN p.status IN ('partially_refunded', 'refunded', 'pending', 'failed') THEN p.status
            WHEN p.status = 'authorized' AND l.status IN ('accepted', 'delivered') THEN l.status
            WHEN p.status = 'authorized' THEN 'authorized'
            WHEN p.status = 'canceled' AND l.status = 'canceled'
              AND p.cancellation_reason IN ('automatic', 'abandoned') THEN 'expired'
            WHEN p.status = 'canceled' THEN 'canceled'
            ELSE 'pending'
          END,
          payment_method_id = p.payment_method_id,
          stripe_payment_intent_id = p.stripe_payment_intent_id,
          stripe_charge_id = p.stripe_charge_id,
          stripe_transfer_id = (SELECT t.stripe_transfer_id FROM transfers t WHERE t.order_line_id = l.id),
          failure_message = p.failure_message, cancellation_reason = p.cancellation_reason,
          hold_expires_at = p.capture_before, authorized_at = p.authorized_at,
          accepted_at = l.accepted_at, delivered_at = l.delivered_at, captured_at = p.succeeded_at,
          canceled_at = p.canceled_at, failed_at = p.failed_at, refunded_at = p.refunded_at
        FROM order_lines l, payments p
        WHERE l.order_id = o.id AND p.order_id = o.id
      `)
      await db.rawQuery(`UPDATE refunds r SET order_id = p.order_id FROM payments p
        WHERE p.id = r.payment_id AND r.order_id IS NULL`)
    })
    this.schema.alterTable('payment_events', (table) => {
      table.dropColumns('order_line_id', 'payment_id', 'transfer_id')
    })
    this.schema.alterTable('contractor_debits', (table) => {
      table.dropColumns('order_line_id', 'attempts')
    })
    this.schema.dropTable('transfer_reversals')
    this.schema.raw('DROP INDEX IF EXISTS refunds_one_per_canceled_line')
    this.schema.alterTable('refunds', (table) => {
      table.dropColumns('payment_id', 'order_line_id', 'cause')
    })
    this.schema.dropTable('transfers')
    this.schema.dropTable('payments')
    this.schema.dropTable('order_lines')
  }
}
