import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { BaseModel, beforeCreate, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import Transfer from '#models/transfer'
import { StateMachine } from '#models/state_machine'

export type TransferReversalStatus = 'pending' | 'succeeded' | 'failed'
export type TransferReversalVerb = 'succeed' | 'fail'

/** A reversal is sent once: Stripe makes it or refuses it (the contractor's balance short) */
export const REVERSAL_STATES = new StateMachine<TransferReversalStatus, TransferReversalVerb>(
  'transfer reversal',
  {
    pending: { succeed: ['succeeded', ['stripe']], fail: ['failed', ['stripe', 'system']] },
    succeeded: {},
    failed: {},
  },
  (status) => `is ${status}`
)

/** Money taken back from a contractor's transfer (their share of a refund, or of a dispute) */
export default class TransferReversal extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare reference: string

  @column()
  declare transferId: number

  /** The refund this reversal is the contractor's share of */
  @column()
  declare refundId: number | null

  /** The dispute this reversal takes the contractor's share of */
  @column()
  declare disputeId: number | null

  @column()
  declare amount: number

  @column()
  declare currency: string

  @column()
  declare status: TransferReversalStatus

  @column()
  declare stripeReversalId: string | null

  @column()
  declare failureMessage: string | null

  @column()
  declare initiatedBy: string

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => Transfer)
  declare transfer: BelongsTo<typeof Transfer>

  @beforeCreate()
  static assignReference(record: { reference?: string }) {
    record.reference ??= randomUUID()
  }
}
