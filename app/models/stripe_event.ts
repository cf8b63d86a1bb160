import { DateTime } from 'luxon'
import type Stripe from 'stripe'
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

  /** Queryable copy; characters jsonb cannot hold (NUL) are replaced by U+FFFD */
  @column({ prepare: (value: unknown) => JSON.stringify(value) })
  declare payload: Record<string, any>

  /** The body Stripe sent, verbatim (null for events stored before it was kept) */
  @column()
  declare rawPayload: string | null

  @column.dateTime()
  declare receivedAt: DateTime

  /** Set while someone applies the event (a lease: see receive_event.ts) */
  @column.dateTime()
  declare processingStartedAt: DateTime | null

  @column.dateTime()
  declare processedAt: DateTime | null

  @column()
  declare processingError: string | null

  @column()
  declare attempts: number

  /** The event as Stripe sent it: what handlers are given */
  get event(): Stripe.Event {
    return (this.rawPayload ? JSON.parse(this.rawPayload) : this.payload) as Stripe.Event
  }

  /** applied, failed (at least one attempt failed, not applied since) or pending */
  get state(): 'applied' | 'failed' | 'pending' {
    if (this.processedAt) {
      return 'applied'
    }
    return this.processingError ? 'failed' : 'pending'
  }
}
