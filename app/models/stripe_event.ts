import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'

/** A webhook event exactly as Stripe sent it, stored before it is applied */
export default class StripeEvent extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare stripeEventId: string

  @column()
  declare type: string

  @column()
  declare account: string | null

  @column()
  declare livemode: boolean

  @column({ prepare: (value: unknown) => JSON.stringify(value) })
  declare payload: Record<string, any>

  @column.dateTime()
  declare receivedAt: DateTime

  @column.dateTime()
  declare processedAt: DateTime | null

  @column()
  declare processingError: string | null

  @column()
  declare attempts: number
}
