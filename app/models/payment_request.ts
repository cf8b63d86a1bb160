import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { BaseModel, beforeCreate, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import User from '#models/user'
import { StateMachine } from '#models/state_machine'
import type { FeePlan } from '#money/fees'

/**
 * What is stored of a request's status: open, or void (canceled by the
 * contractor or an admin). Everything else a page shows (partially paid,
 * paid, overdue) follows from its payments: `requestStatus()` in
 * app/domain/payment_request_summary.ts.
 */
export type PaymentRequestState = 'open' | 'void'
export type PaymentRequestVerb = 'void'

/**
 * (state, verb) → [next, who]. Voiding also needs the request to be unpaid
 * (no payment taken or on its way): checked with its payments, under its lock.
 */
export const PAYMENT_REQUEST_STATES = new StateMachine<PaymentRequestState, PaymentRequestVerb>(
  'payment request',
  {
    open: { void: ['void', ['contractor', 'admin']] },
    void: {},
  },
  (state) => (state === 'void' ? 'was already canceled' : 'is open')
)

export default class PaymentRequest extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare reference: string

  @column()
  declare contractorId: number

  /** Lower-cased: the address the link was sent to */
  @column()
  declare employerEmail: string

  /** The employer's user, once known (an account with that address) */
  @column()
  declare employerId: number | null

  @column()
  declare description: string

  /** Minor units of `currency` */
  @column()
  declare amount: number

  @column()
  declare currency: string

  @column.date()
  declare dueDate: DateTime

  /** The smallest payment accepted (minor units), except the last one: the balance due */
  @column()
  declare minimumPayment: number | null

  /** The contractor's fee plan when the request was made: each payment's fee comes from it */
  @column({ prepare: (value: FeePlan) => JSON.stringify(value) })
  declare feePlan: FeePlan

  /** SHA-256 of the link's token: how a link finds its request */
  @column({ serializeAs: null })
  declare tokenHash: string

  /** The token encrypted with the app key (to show and resend the link) */
  @column({ serializeAs: null })
  declare tokenEncrypted: string

  @column()
  declare status: PaymentRequestState

  @column.dateTime()
  declare voidedAt: DateTime | null

  @column()
  declare voidedBy: string | null

  @column.dateTime()
  declare lastSentAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => User, { foreignKey: 'contractorId' })
  declare contractor: BelongsTo<typeof User>

  @belongsTo(() => User, { foreignKey: 'employerId' })
  declare employer: BelongsTo<typeof User>

  @beforeCreate()
  static assignReference(record: { reference?: string }) {
    record.reference ??= randomUUID()
  }
}
