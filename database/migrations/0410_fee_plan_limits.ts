import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A contractor's fee plan may bound the fee of each line: a minimum and a
 * maximum in minor units of the line's currency (null: no bound). Set with
 * `node ace contractors:fee`.
 */
export default class extends BaseSchema {
  protected tableName = 'user_profiles'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      table.bigInteger('fee_minimum_override').nullable()
      table.bigInteger('fee_maximum_override').nullable()
      table.check(
        'fee_minimum_override IS NULL OR fee_maximum_override IS NULL OR fee_minimum_override <= fee_maximum_override',
        [],
        'user_profiles_fee_bounds'
      )
    })
  }

  async down() {
    this.schema.alterTable(this.tableName, (table) => {
      table.dropChecks(['user_profiles_fee_bounds'])
      table.dropColumns('fee_minimum_override', 'fee_maximum_override')
    })
  }
}
