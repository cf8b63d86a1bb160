import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The platform-covers fallback of a refund: when the contractor's balance
 * cannot cover giving back their share, the platform refunds alone and the
 * contractor owes that share as a debit.
 *
 * - `refunds.contractor_owes`: the share the contractor owes once this refund
 *   succeeds (null for ordinary refunds). Written with the refund row, before
 *   Stripe is called, so a re-run or reconciliation records the same debit.
 * - `contractor_debits.refund_id`: the refund a debit was recorded for (at
 *   most one debit per refund).
 * - `contractor_debits.status` gains `owed`: recorded, not yet collected
 *   (`node ace contractors:debit <contractor> --collect=<id>` collects it).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('refunds', (table) => {
      table.bigInteger('contractor_owes').nullable()
      table.check('contractor_owes IS NULL OR contractor_owes > 0', [], 'refunds_contractor_owes')
    })
    this.schema.alterTable('contractor_debits', (table) => {
      table.integer('refund_id').nullable().unique().references('id').inTable('refunds')
      table.check(
        `status IN ('owed', 'pending', 'succeeded', 'failed')`,
        [],
        'contractor_debits_status'
      )
    })
    this.schema.alterTable('refunds', (table) => {
      table.check(`status IN ('pending', 'succeeded', 'failed', 'canceled')`, [], 'refunds_status')
    })
  }

  async down() {
    this.schema.alterTable('contractor_debits', (table) => {
      table.dropChecks(['contractor_debits_status'])
      table.dropColumn('refund_id')
    })
    this.schema.alterTable('refunds', (table) => {
      table.dropChecks(['refunds_status', 'refunds_contractor_owes'])
      table.dropColumn('contractor_owes')
    })
  }
}
