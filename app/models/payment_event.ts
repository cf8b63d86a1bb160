import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'

/**
 * One line of the append-only audit: who did what to which order, for how
 * much, with which Stripe object. Never updated, never deleted.
 */
export default class PaymentEvent extends BaseModel {
  static readonly updatedAt = false

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare orderId: number | null

  @column()
  declare orderLineId: number | null

  @column()
  declare paymentId: number | null

  @column()
  declare transferId: number | null

  @column()
  declare contractorDebitId: number | null

  @column()
  declare refundId: number | null

  @column()
  declare paymentRequestId: number | null

  @column()
  declare disputeId: number | null

  /** user:12, webhook:evt_…, console:<os user>, system:holds */
  @column()
  declare actor: string

  @column()
  declare type: string

  @column()
  declare fromStatus: string | null

  @column()
  declare toStatus: string | null

  @column()
  declare amount: number | null

  @column()
  declare currency: string | null

  @column()
  declare stripeId: string | null

  @column()
  declare message: string | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime
}
