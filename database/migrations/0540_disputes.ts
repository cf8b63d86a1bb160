import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Disputes (chargebacks and inquiries), what they concern and how the
 * contractors' shares are taken back and given back.
 *
 * - `disputes`: one per Stripe dispute, on its payment (and order): amount,
 *   reason, status (forward only, DISPUTE_STATES), due date, the evidence
 *   submitted (when, how many times), the outcome, the money Stripe withdrew
 *   and reinstated with its fee, and the recovery policy in force when the
 *   funds were withdrawn;
 * - `dispute_lines`: the order lines a dispute concerns, each with its part of
 *   the disputed amount and the contractor's share of that part;
 * - `dispute_actions`: what an admin sends Stripe about a dispute (evidence,
 *   staged or submitted; accepting it), written pending before it is sent:
 *   what was sent and when (file names and ids, never the files' contents);
 * - a reversal, a contractor debit and a transfer can name the dispute they
 *   belong to: the contractor's share taken back (reversal, or debit), and
 *   given back when the dispute is won (a `dispute_return` transfer, one per
 *   contractor and dispute, with no line: `transfers.order_line_id` stays
 *   the line's one payout);
 * - a debit can be `canceled`: a share owed for a dispute that was won.
 *
 * Additive: existing rows are untouched.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('disputes', (table) => {
      table.increments('id')
      table.uuid('reference').notNullable().unique().defaultTo(this.raw('gen_random_uuid()'))
      table.integer('payment_id').notNullable().references('id').inTable('payments')
      table.integer('order_id').nullable().references('id').inTable('orders').onDelete('CASCADE')
      table.string('stripe_dispute_id', 64).notNullable().unique()
      table.string('stripe_charge_id', 64).notNullable()
      // Minor units of `currency` (the payment's)
      table.bigInteger('amount').notNullable()
      table.string('currency', 3).notNullable()
      table.string('reason', 40).notNullable()
      table.string('status', 30).notNullable()
      // It began as an inquiry (it may have become a chargeback since)
      table.boolean('inquiry').notNullable().defaultTo(false)
      table.string('network_reason_code', 20).nullable()
      table.timestamp('due_by').nullable()
      table.boolean('is_charge_refundable').notNullable().defaultTo(false)
      table.boolean('has_evidence').notNullable().defaultTo(false)
      table.integer('evidence_submission_count').notNullable().defaultTo(0)
      table.timestamp('evidence_submitted_at').nullable()
      table.boolean('past_due').notNullable().defaultTo(false)
      table.string('outcome', 20).nullable()
      table.timestamp('closed_at').nullable()
      // Stripe's balance transactions, in the platform's settlement currency
      table.string('balance_currency', 3).nullable()
      table.bigInteger('withdrawn_amount').notNullable().defaultTo(0)
      table.bigInteger('withdrawn_fee').notNullable().defaultTo(0)
      table.timestamp('withdrawn_at').nullable()
      table.bigInteger('reinstated_amount').notNullable().defaultTo(0)
      table.bigInteger('reinstated_fee').notNullable().defaultTo(0)
      table.timestamp('reinstated_at').nullable()
      // DISPUTE_RECOVERY and DISPUTE_FEE_PAID_BY when the funds were withdrawn
      table.string('recovery', 10).nullable()
      table.string('fee_paid_by', 12).nullable()
      // Every share taken back or given back as the outcome asks
      table.timestamp('settled_at').nullable()
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()
      table.index(['payment_id'])
      table.index(['order_id'])
      table.index(['status'])
      table.check('amount >= 0', [], 'disputes_amount')
      table.check(`recovery IN ('reverse', 'debit', 'none')`, [], 'disputes_recovery')
      table.check(`fee_paid_by IN ('platform', 'contractor')`, [], 'disputes_fee_paid_by')
    })

    this.schema.createTable('dispute_lines', (table) => {
      table.increments('id')
      table
        .integer('dispute_id')
        .notNullable()
        .references('id')
        .inTable('disputes')
        .onDelete('CASCADE')
      table.integer('order_line_id').notNullable().references('id').inTable('order_lines')
      table.integer('contractor_id').notNullable().references('id').inTable('users')
      // The line's part of the disputed amount
      table.bigInteger('amount').notNullable()
      // What the contractor gives back for it (decided when the funds are withdrawn)
      table.bigInteger('share').nullable()
      table.bigInteger('fee_share').notNullable().defaultTo(0)
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()
      table.unique(['dispute_id', 'order_line_id'])
      table.index(['contractor_id'])
      table.check('amount >= 0 AND fee_share >= 0', [], 'dispute_lines_amounts')
    })

    this.schema.createTable('dispute_actions', (table) => {
      table.increments('id')
      table.uuid('reference').notNullable().unique().defaultTo(this.raw('gen_random_uuid()'))
      table
        .integer('dispute_id')
        .notNullable()
        .references('id')
        .inTable('disputes')
        .onDelete('CASCADE')
      table.string('kind', 10).notNullable()
      table.boolean('submit').notNullable().defaultTo(false)
      // Evidence fields sent: text as written, files as {id, name, type, size}
      table.jsonb('evidence').nullable()
      table.string('status', 12).notNullable()
      table.text('failure_message').nullable()
      table.string('initiated_by', 120).notNullable()
      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').notNullable()
      table.index(['dispute_id'])
      table.check(`kind IN ('evidence', 'accept')`, [], 'dispute_actions_kind')
      table.check(`status IN ('pending', 'succeeded', 'failed')`, [], 'dispute_actions_status')
    })
    // One request to Stripe about a dispute at a time
    this.schema.raw(
      `CREATE UNIQUE INDEX dispute_actions_one_pending ON dispute_actions (dispute_id)
       WHERE status = 'pending'`
    )

    this.schema.alterTable('transfer_reversals', (table) => {
      table.integer('dispute_id').nullable().references('id').inTable('disputes')
    })
    // A contractor's share of a dispute is taken back from a transfer once
    this.schema.raw(
      `CREATE UNIQUE INDEX transfer_reversals_one_per_dispute ON transfer_reversals
       (dispute_id, transfer_id) WHERE dispute_id IS NOT NULL`
    )

    this.schema.alterTable('contractor_debits', (table) => {
      table.integer('dispute_id').nullable().references('id').inTable('disputes')
      table.dropChecks(['contractor_debits_status'])
    })
    this.schema.alterTable('contractor_debits', (table) => {
      table.check(
        `status IN ('owed', 'pending', 'succeeded', 'failed', 'canceled')`,
        [],
        'contractor_debits_status'
      )
    })
    this.schema.raw(
      `CREATE UNIQUE INDEX contractor_debits_one_per_dispute_line ON contractor_debits
       (dispute_id, order_line_id) WHERE dispute_id IS NOT NULL`
    )

    this.schema.alterTable('transfers', (table) => {
      table.integer('dispute_id').nullable().references('id').inTable('disputes')
      table.string('kind', 20).notNullable().alter()
      table.dropChecks(['transfers_kind'])
    })
    this.schema.alterTable('transfers', (table) => {
      table.check(`kind IN ('destination', 'separate', 'dispute_return')`, [], 'transfers_kind')
      table.check(
        `(kind = 'dispute_return') = (dispute_id IS NOT NULL)`,
        [],
        'transfers_dispute_return'
      )
    })
    // What a won dispute gives back to a contractor: one transfer
    this.schema.raw(
      `CREATE UNIQUE INDEX transfers_one_return_per_dispute ON transfers (dispute_id, contractor_id)
       WHERE dispute_id IS NOT NULL`
    )

    this.schema.alterTable('payment_events', (table) => {
      table.integer('dispute_id').nullable().references('id').inTable('disputes')
    })
  }

  async down() {
    this.schema.alterTable('payment_events', (table) => {
      table.dropColumn('dispute_id')
    })
    // The audit points at them: given-back transfers stay, as transfers of no line
    this.schema.alterTable('transfers', (table) => {
      table.dropChecks(['transfers_kind', 'transfers_dispute_return'])
    })
    this.schema.raw(`UPDATE transfers SET kind = 'separate' WHERE kind = 'dispute_return'`)
    this.schema.alterTable('transfers', (table) => {
      table.dropColumn('dispute_id')
      table.string('kind', 12).notNullable().alter()
    })
    this.schema.alterTable('transfers', (table) => {
      table.check(`kind IN ('destination', 'separate')`, [], 'transfers_kind')
    })
    this.schema.raw(`UPDATE contractor_debits SET status = 'failed' WHERE status = 'canceled'`)
    this.schema.alterTable('contractor_debits', (table) => {
      table.dropChecks(['contractor_debits_status'])
      table.dropColumn('dispute_id')
    })
    this.schema.alterTable('contractor_debits', (table) => {
      table.check(
        `status IN ('owed', 'pending', 'succeeded', 'failed')`,
        [],
        'contractor_debits_status'
      )
    })
    this.schema.alterTable('transfer_reversals', (table) => {
      table.dropColumn('dispute_id')
    })
    this.schema.dropTable('dispute_actions')
    this.schema.dropTable('dispute_lines')
    this.schema.dropTable('disputes')
  }
}
