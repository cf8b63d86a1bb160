import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Payment requests: a contractor bills an employer by link, and the employer
 * pays all or part of it, in one or several payments.
 *
 * - `payment_requests`: who bills whom (the employer by email, and their user
 *   once known), what for, how much, by when, the smallest part accepted.
 *   The link's token is kept as its SHA-256 (how a link is found) and
 *   encrypted with the app key (so the contractor's page can show the link
 *   again and it can be resent); the database alone never yields a usable
 *   link. The contractor's fee plan is copied on (as order lines copy it):
 *   each payment's application fee is computed with it. `status` stores only what no payment says: open or void. What a
 *   page shows (open, partially paid, paid, overdue, void) is derived from
 *   the payments (app/domain/payment_request_summary.ts).
 * - each payment of a request is a `payments` row with the `destination`
 *   flow (a destination charge, captured at once) and `payment_request_id`;
 *   the form token makes a double-submitted form one payment; what the
 *   PaymentIntent was confirmed with (on session, saving the card, the bank
 *   debit's mandate acceptance) is kept so a retry sends the same request.
 * - the destination transfer Stripe makes for such a payment is recorded
 *   once per payment (it has no order line).
 * - the audit can name a request.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('payment_requests', (table) => {
      table.increments('id')
      table.uuid('reference').notNullable().unique().defaultTo(this.raw('gen_random_uuid()'))
      table.integer('contractor_id').notNullable().references('id').inTable('users')
      // Lower-cased and trimmed, as users' emails are
      table.string('employer_email', 254).notNullable()
      table.integer('employer_id').nullable().references('id').inTable('users')
      table.text('description').notNullable()
      // Minor units of `currency`
      table.bigInteger('amount').notNullable()
      table.string('currency', 3).notNullable()
      table.date('due_date').notNullable()
      table.bigInteger('minimum_payment').nullable()
      // The contractor's fee plan when the request was made: each payment's fee
      table.jsonb('fee_plan').notNullable()
      table.string('token_hash', 64).notNullable().unique()
      table.text('token_encrypted').notNullable()
      table.string('status', 10).notNullable().defaultTo('open')
      table.timestamp('voided_at').nullable()
      table.string('voided_by', 120).nullable()
      // When the link was last mailed (creation, resend); resends are spaced
      table.timestamp('last_sent_at').nullable()
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()
      table.index(['contractor_id', 'id'])
      table.index(['employer_id', 'id'])
      table.index(['employer_email'])
      table.index(['status', 'due_date'])
      table.check(`status IN ('open', 'void')`, [], 'payment_requests_status')
      table.check('amount > 0', [], 'payment_requests_amount')
      table.check(
        'minimum_payment IS NULL OR (minimum_payment > 0 AND minimum_payment <= amount)',
        [],
        'payment_requests_minimum'
      )
      table.check(`(status = 'void') = (voided_at IS NOT NULL)`, [], 'payment_requests_voided')
    })

    this.schema.alterTable('payments', (table) => {
      table.integer('payment_request_id').nullable().references('id').inTable('payment_requests')
      table.uuid('form_token').nullable()
      table.string('setup_future_usage', 20).nullable()
      table.jsonb('mandate_acceptance').nullable()
      // For receipts: the card brand or bank name and the last 4, never more
      table.string('method_brand', 60).nullable()
      table.string('method_last4', 4).nullable()
      table.index(['payment_request_id'])
      table.dropChecks(['payments_flow'])
      // 'destination' is longer than the 10 characters 'hold' and 'charge' needed
      table.string('flow', 16).notNullable().alter()
    })
    this.schema.alterTable('payments', (table) => {
      table.check(`flow IN ('hold', 'charge', 'destination')`, [], 'payments_flow')
      // A payment pays an order or a request, never both; a request's is a destination charge
      table.check(
        `payment_request_id IS NULL OR (order_id IS NULL AND flow = 'destination')`,
        [],
        'payments_request'
      )
      table.check(
        `setup_future_usage IS NULL OR setup_future_usage = 'off_session'`,
        [],
        'payments_setup_future_usage'
      )
    })
    // The same payment form sent twice is one payment
    this.schema.raw(
      `CREATE UNIQUE INDEX payments_one_per_request_form ON payments (payment_request_id, form_token)
       WHERE payment_request_id IS NOT NULL AND form_token IS NOT NULL`
    )
    // A request payment's destination transfer is recorded once
    this.schema.raw(
      `CREATE UNIQUE INDEX transfers_one_destination_per_payment ON transfers (payment_id)
       WHERE order_line_id IS NULL AND kind = 'destination'`
    )

    this.schema.alterTable('payment_events', (table) => {
      table.integer('payment_request_id').nullable().references('id').inTable('payment_requests')
      table.index(['payment_request_id'])
    })
  }

  async down() {
    this.schema.alterTable('payment_events', (table) => {
      table.dropColumn('payment_request_id')
    })
    this.schema.raw('DROP INDEX IF EXISTS transfers_one_destination_per_payment')
    this.schema.raw('DROP INDEX IF EXISTS payments_one_per_request_form')
    this.schema.alterTable('payments', (table) => {
      table.dropChecks(['payments_request', 'payments_setup_future_usage', 'payments_flow'])
    })
    this.schema.alterTable('payments', (table) => {
      table.dropColumns(
        'payment_request_id',
        'form_token',
        'setup_future_usage',
        'mandate_acceptance',
        'method_brand',
        'method_last4'
      )
    })
    this.schema.alterTable('payments', (table) => {
      table.string('flow', 10).notNullable().alter()
      table.check(`flow IN ('hold', 'charge')`, [], 'payments_flow')
    })
    this.schema.dropTable('payment_requests')
  }
}
