import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { afterSave, BaseModel, beforeCreate, belongsTo, column } from '@adonisjs/lucid/orm'
import { moneyMovedFor } from '#services/balance_copies'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import User from '#models/user'

/**
 * owed: recorded, not sent to Stripe yet (collected later); pending: row
 * written, Stripe has not answered yet; canceled: no longer owed (the
 * dispute it recovered a share of was won)
 */
export type ContractorDebitStatus = 'owed' | 'pending' | 'succeeded' | 'failed' | 'canceled'

export default class ContractorDebit extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  /** Unique per record; part of its Stripe idempotency keys */
  @column()
  declare reference: string

  @column()
  declare contractorId: number

  @column()
  declare orderId: number | null

  @column()
  declare orderLineId: number | null

  /** The refund this debit recovers the contractor's share of (platform-covers fallback) */
  @column()
  declare refundId: number | null

  /** The dispute this debit recovers the contractor's share of */
  @column()
  declare disputeId: number | null

  /** Minor units of `currency` */
  @column()
  declare amount: number

  @column()
  declare currency: string

  @column()
  declare reason: string

  @column()
  declare status: ContractorDebitStatus

  /** The py_ payment the account debit created on the platform */
  @column()
  declare stripeId: string | null

  @column()
  declare failureMessage: string | null

  /** Each collection of an owed debit is a new attempt with its own idempotency key */
  @column()
  declare attempts: number

  @column()
  declare initiatedBy: string

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => User, { foreignKey: 'contractorId' })
  declare contractor: BelongsTo<typeof User>

  @beforeCreate()
  static assignReference(record: { reference?: string }) {
    record.reference ??= randomUUID()
  }

  /** The contractor's balance moves with this row: their kept copies are dropped */
  @afterSave()
  static forgetBalance(record: { contractorId: number }) {
    moneyMovedFor(record.contractorId)
  }
}
