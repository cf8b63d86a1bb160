import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { afterSave, BaseModel, beforeCreate, belongsTo, column } from '@adonisjs/lucid/orm'
import { moneyMovedFor } from '#services/balance_copies'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import User from '#models/user'
import { StateMachine } from '#models/state_machine'

/**
 * owed: recorded, not sent to Stripe yet (collected later); pending: row
 * written, Stripe has not answered yet; canceled: no longer owed (the
 * dispute it recovered a share of was won)
 */
export type ContractorDebitStatus = 'owed' | 'pending' | 'succeeded' | 'failed' | 'canceled'
export type ContractorDebitVerb = 'collect' | 'succeed' | 'fail' | 'owe_again' | 'cancel'

/**
 * An owed debit is collected (an admin, or the dispute recovery) or canceled
 * when no longer owed (a dispute won); a sent one follows Stripe's answer. A
 * refused debit that a refund or a dispute recorded is owed again (it can be
 * collected later); any other refused debit fails. Stripe's word (an answer,
 * reconciliation finding a debit closed here on Stripe after all) is recorded.
 */
export const DEBIT_STATES = new StateMachine<ContractorDebitStatus, ContractorDebitVerb>(
  'contractor debit',
  {
    owed: {
      collect: ['pending', ['admin', 'system', 'stripe']],
      succeed: ['succeeded', ['stripe']],
      cancel: ['canceled', ['system']],
    },
    pending: {
      succeed: ['succeeded', ['stripe']],
      fail: ['failed', ['stripe', 'system']],
      owe_again: ['owed', ['stripe', 'system']],
    },
    succeeded: { fail: ['failed', ['stripe']] },
    // Reconciliation: a debit closed here that Stripe made after all
    failed: { collect: ['pending', ['stripe']], succeed: ['succeeded', ['stripe']] },
    canceled: { collect: ['pending', ['stripe']], succeed: ['succeeded', ['stripe']] },
  },
  (status) => `is ${status}`
)

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
