import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { BaseModel, beforeCreate, belongsTo, column, hasMany } from '@adonisjs/lucid/orm'
import type { BelongsTo, HasMany } from '@adonisjs/lucid/types/relations'
import User from '#models/user'
import OrderLine from '#models/order_line'
import Payment from '#models/payment'
import PaymentEvent from '#models/payment_event'

/**
 * What an employer bought at one checkout: one line per service ordered
 * (the work, each with its contractor) and the payments that pay for it (the
 * money). Its status is derived from those (`app/domain/order_summary.ts`).
 */
export default class Order extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  /** Unique per record; part of Stripe idempotency keys of first-stage orders */
  @column()
  declare reference: string

  @column()
  declare employerId: number

  @column()
  declare currency: string

  /** Sum of the lines, in minor units of `currency` */
  @column()
  declare total: number

  @column()
  declare note: string | null

  /** From the order form: a resubmitted form finds this order instead of making another */
  @column()
  declare formToken: string | null

  /** "Pay again": the order whose payment failed, that this one places again */
  @column()
  declare replacesOrderId: number | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => User, { foreignKey: 'employerId' })
  declare employer: BelongsTo<typeof User>

  @hasMany(() => OrderLine)
  declare lines: HasMany<typeof OrderLine>

  @hasMany(() => Payment)
  declare payments: HasMany<typeof Payment>

  @hasMany(() => PaymentEvent)
  declare paymentEvents: HasMany<typeof PaymentEvent>

  @beforeCreate()
  static assignReference(record: { reference?: string }) {
    record.reference ??= randomUUID()
  }
}
