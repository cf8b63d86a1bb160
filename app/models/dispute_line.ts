import { DateTime } from 'luxon'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import OrderLine from '#models/order_line'
import User from '#models/user'

/**
 * An order line a dispute concerns — or, with no order line, the payment
 * request's contractor (a request payment's dispute has that one line): its
 * part of the disputed amount, and what its contractor gives back for it
 * (decided when the funds are withdrawn; see app/money/dispute_shares.ts).
 */
export default class DisputeLine extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare disputeId: number

  /** Null: the line of a payment request's payment (its contractor, no order line) */
  @column()
  declare orderLineId: number | null

  @column()
  declare contractorId: number

  /** The line's part of the disputed amount, minor units */
  @column()
  declare amount: number

  /** The contractor's share of that part (null until the funds are withdrawn and the line is paid) */
  @column()
  declare share: number | null

  /** The contractor's part of Stripe's dispute fee (DISPUTE_FEE_PAID_BY=contractor) */
  @column()
  declare feeShare: number

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => OrderLine)
  declare line: BelongsTo<typeof OrderLine>

  @belongsTo(() => User, { foreignKey: 'contractorId' })
  declare contractor: BelongsTo<typeof User>
}
