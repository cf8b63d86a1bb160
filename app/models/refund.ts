import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { BaseModel, beforeCreate, column } from '@adonisjs/lucid/orm'
import { StateMachine } from '#models/state_machine'

export type RefundStatus = 'pending' | 'succeeded' | 'failed' | 'canceled'
export type RefundVerb = 'succeed' | 'fail' | 'cancel' | 'resume'

/**
 * A refund follows Stripe's answers. Crewpay itself (system) only fails one
 * that was never sent (its contractor share could not be taken back). Stripe
 * can fail a refund after it succeeded (the card was closed: the money comes
 * back to the platform). Reconciliation corrects a refund closed here that
 * Stripe made after all.
 */
export const REFUND_STATES = new StateMachine<RefundStatus, RefundVerb>(
  'refund',
  {
    pending: {
      succeed: ['succeeded', ['stripe']],
      fail: ['failed', ['stripe', 'system']],
      cancel: ['canceled', ['stripe']],
    },
    succeeded: { fail: ['failed', ['stripe']] },
    // Reconciliation: a request Crewpay closed that landed on Stripe after all
    failed: { succeed: ['succeeded', ['stripe']], resume: ['pending', ['stripe']] },
    canceled: { succeed: ['succeeded', ['stripe']], resume: ['pending', ['stripe']] },
  },
  (status) => `is ${status}`
)

export default class Refund extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  /** Unique per record; part of its Stripe idempotency keys */
  @column()
  declare reference: string

  @column()
  declare orderId: number | null

  /** The payment refunded */
  @column()
  declare paymentId: number

  /** The line the refund concerns (charge flow), if one */
  @column()
  declare orderLineId: number | null

  /** admin: made from the console; line_canceled: a declined or canceled line's money back */
  @column()
  declare cause: 'admin' | 'line_canceled'

  /** Minor units of `currency` */
  @column()
  declare amount: number

  @column()
  declare currency: string

  @column()
  declare reason: string | null

  @column()
  declare reverseTransfer: boolean

  @column()
  declare refundApplicationFee: boolean

  @column()
  declare status: RefundStatus

  @column()
  declare stripeRefundId: string | null

  @column()
  declare failureMessage: string | null

  @column()
  declare initiatedBy: string

  /**
   * Set when the platform covered the contractor's share (the contractor's
   * balance could not cover the reversal): what the contractor owes once this
   * refund succeeds, recorded as a contractor debit
   */
  @column()
  declare contractorOwes: number | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @beforeCreate()
  static assignReference(record: { reference?: string }) {
    record.reference ??= randomUUID()
  }
}
