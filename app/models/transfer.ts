import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { afterSave, BaseModel, beforeCreate, belongsTo, column } from '@adonisjs/lucid/orm'
import { moneyMovedFor } from '#services/balance_copies'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import User from '#models/user'
import Payment from '#models/payment'
import OrderLine from '#models/order_line'
import { StateMachine } from '#models/state_machine'

/**
 * pending: written, not confirmed by Stripe yet; paid: the transfer exists on
 * Stripe; failed: Stripe refused it (a retry makes a new attempt)
 */
export type TransferStatus = 'pending' | 'paid' | 'failed'
export type TransferVerb = 'pay' | 'fail' | 'resend'

/**
 * Stripe's answer pays or fails a transfer; a failed one is sent again as a
 * new attempt (an admin or a job), or found on Stripe after all
 * (reconciliation).
 */
export const TRANSFER_STATES = new StateMachine<TransferStatus, TransferVerb>(
  'transfer',
  {
    pending: { pay: ['paid', ['stripe']], fail: ['failed', ['stripe', 'system']] },
    paid: {},
    failed: { resend: ['pending', ['admin', 'system', 'stripe']], pay: ['paid', ['stripe']] },
  },
  (status) => `is ${status}`
)

/**
 * The money a line's contractor receives. `destination`: Stripe made it
 * itself when a destination charge was captured (hold flow); `separate`: sent
 * by Crewpay when the line was approved and the charge had succeeded;
 * `dispute_return`: a won dispute gives a contractor back the share taken
 * from them (one per contractor and dispute, from the platform's balance, no
 * line of its own: a line keeps one payout).
 */
export default class Transfer extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare reference: string

  @column()
  declare paymentId: number

  @column()
  declare orderLineId: number | null

  @column()
  declare contractorId: number

  /** The contractor's acct_ */
  @column()
  declare destination: string

  @column()
  declare kind: 'destination' | 'separate' | 'dispute_return'

  /** The dispute a `dispute_return` gives the contractor's share back for */
  @column()
  declare disputeId: number | null

  @column()
  declare amount: number

  @column()
  declare currency: string

  @column()
  declare amountReversed: number

  /** Stripe's processing fee passed on to the contractor (STRIPE_FEE_PASSTHROUGH) */
  @column()
  declare stripeFeeShare: number

  @column()
  declare status: TransferStatus

  @column()
  declare stripeTransferId: string | null

  /** Each attempt after a refusal has its own idempotency key */
  @column()
  declare attempts: number

  @column()
  declare failureMessage: string | null

  @column()
  declare initiatedBy: string

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => Payment)
  declare payment: BelongsTo<typeof Payment>

  @belongsTo(() => OrderLine)
  declare line: BelongsTo<typeof OrderLine>

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
