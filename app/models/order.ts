import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { BaseModel, beforeCreate, belongsTo, column, hasMany } from '@adonisjs/lucid/orm'
import type { BelongsTo, HasMany } from '@adonisjs/lucid/types/relations'
import User from '#models/user'
import Service from '#models/service'
import Refund from '#models/refund'
import PaymentEvent from '#models/payment_event'

export const ORDER_STATUSES = [
  'pending',
  'authorized',
  'accepted',
  'delivered',
  'captured',
  'canceled',
  'expired',
  'failed',
  'partially_refunded',
  'refunded',
] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

/** States in which the money is held on the employer's card */
export const HELD_STATUSES: OrderStatus[] = ['authorized', 'accepted', 'delivered']

export default class Order extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  /** Unique per record; part of its Stripe idempotency keys */
  @column()
  declare reference: string

  @column()
  declare employerId: number

  @column()
  declare contractorId: number

  @column()
  declare serviceId: number

  @column()
  declare note: string | null

  /** From the order form: a resubmitted form finds this order instead of making another */
  @column()
  declare formToken: string | null

  /** Minor units of `currency` */
  @column()
  declare amount: number

  @column()
  declare currency: string

  @column()
  declare applicationFeeAmount: number

  @column()
  declare amountCaptured: number

  @column()
  declare amountRefunded: number

  @column()
  declare status: OrderStatus

  @column()
  declare paymentMethodId: string | null

  @column()
  declare authorizationAttempts: number

  @column()
  declare stripePaymentIntentId: string | null

  @column()
  declare stripeChargeId: string | null

  @column()
  declare stripeTransferId: string | null

  @column()
  declare failureMessage: string | null

  @column()
  declare cancellationReason: string | null

  @column.dateTime()
  declare holdExpiresAt: DateTime | null

  @column.dateTime()
  declare disputedAt: DateTime | null

  @column()
  declare disputeReason: string | null

  @column.dateTime()
  declare authorizedAt: DateTime | null

  @column.dateTime()
  declare acceptedAt: DateTime | null

  @column.dateTime()
  declare deliveredAt: DateTime | null

  @column.dateTime()
  declare capturedAt: DateTime | null

  @column.dateTime()
  declare canceledAt: DateTime | null

  @column.dateTime()
  declare failedAt: DateTime | null

  @column.dateTime()
  declare refundedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => User, { foreignKey: 'employerId' })
  declare employer: BelongsTo<typeof User>

  @belongsTo(() => User, { foreignKey: 'contractorId' })
  declare contractor: BelongsTo<typeof User>

  @belongsTo(() => Service)
  declare service: BelongsTo<typeof Service>

  @hasMany(() => Refund)
  declare refunds: HasMany<typeof Refund>

  @hasMany(() => PaymentEvent)
  declare paymentEvents: HasMany<typeof PaymentEvent>

  /** What the contractor receives once captured: amount − platform fee */
  get contractorAmount() {
    return this.amount - this.applicationFeeAmount
  }

  get isHeld() {
    return HELD_STATUSES.includes(this.status)
  }

  @beforeCreate()
  static assignReference(record: { reference?: string }) {
    record.reference ??= randomUUID()
  }
}
