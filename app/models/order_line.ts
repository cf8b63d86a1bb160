import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { BaseModel, beforeCreate, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import User from '#models/user'
import Service from '#models/service'
import Order from '#models/order'
import type { FeePlan } from '#money/fees'
import { StateMachine } from '#models/state_machine'

export const LINE_STATUSES = [
  'requested',
  'accepted',
  'delivered',
  'approved',
  'declined',
  'canceled',
] as const
export type LineStatus = (typeof LINE_STATUSES)[number]
export type LineVerb = 'accept' | 'decline' | 'deliver' | 'approve' | 'cancel'

/**
 * The work status of a line: (status, verb) → [next status, who may].
 *
 * - The contractor accepts or declines a request, then delivers; the
 *   employer approves a delivery (or cancels a request not yet accepted).
 * - An admin may approve at any open stage (capturing a hold from the
 *   console pays the contractor) and cancel any open line.
 * - Crewpay itself (system) approves a delivery the employer left unapproved
 *   (auto-approval, a hold settled by capture), approves a hold's line when
 *   its payment was captured elsewhere, and cancels lines whose payment
 *   failed, was released or expired, or that were never accepted in time.
 */
export const LINE_STATES = new StateMachine<LineStatus, LineVerb>(
  'order line',
  {
    requested: {
      accept: ['accepted', ['contractor']],
      decline: ['declined', ['contractor']],
      cancel: ['canceled', ['employer', 'admin', 'system']],
      approve: ['approved', ['admin', 'system']],
    },
    accepted: {
      deliver: ['delivered', ['contractor']],
      cancel: ['canceled', ['admin', 'system']],
      approve: ['approved', ['admin', 'system']],
    },
    delivered: {
      approve: ['approved', ['employer', 'admin', 'system']],
      cancel: ['canceled', ['admin', 'system']],
    },
    // Only when the payment behind an approved line fails before anything was paid out
    approved: { cancel: ['canceled', ['system']] },
    declined: {},
    canceled: {},
  },
  (status) => LINE_STATUS_WORDS[status]
)

const LINE_STATUS_WORDS: Record<LineStatus, string> = {
  requested: 'is waiting for the contractor to accept it',
  accepted: 'is accepted and in progress',
  delivered: 'is delivered and waiting for approval',
  approved: 'was already approved',
  declined: 'was declined',
  canceled: 'was canceled',
}

/** The timestamp each status sets when a line enters it */
export const LINE_ENTERED_AT: Partial<Record<LineStatus, keyof OrderLine>> = {
  accepted: 'acceptedAt',
  delivered: 'deliveredAt',
  approved: 'approvedAt',
  declined: 'declinedAt',
  canceled: 'canceledAt',
}

/** Lines still waiting on someone: neither paid out nor closed */
export const OPEN_LINE_STATUSES: LineStatus[] = ['requested', 'accepted', 'delivered']

const feePlanColumn = {
  prepare: (value: FeePlan | null) => (value ? JSON.stringify(value) : null),
  consume: (value: unknown) => (value && typeof value === 'object' ? (value as FeePlan) : null),
}

export default class OrderLine extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare reference: string

  @column()
  declare orderId: number

  @column()
  declare contractorId: number

  @column()
  declare serviceId: number | null

  /** Snapshot of the service's title when ordered */
  @column()
  declare title: string

  /** Snapshot of the service's price when ordered, minor units */
  @column()
  declare unitPrice: number

  @column()
  declare amount: number

  /** The platform's fee on this line */
  @column()
  declare feeAmount: number

  /** The fee plan that made `feeAmount` (null for first-stage orders) */
  @column(feePlanColumn)
  declare feePlan: FeePlan | null

  @column()
  declare status: LineStatus

  @column()
  declare declineReason: string | null

  @column.dateTime()
  declare acceptedAt: DateTime | null

  @column.dateTime()
  declare deliveredAt: DateTime | null

  @column.dateTime()
  declare approvedAt: DateTime | null

  @column.dateTime()
  declare declinedAt: DateTime | null

  @column.dateTime()
  declare canceledAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => Order)
  declare order: BelongsTo<typeof Order>

  @belongsTo(() => User, { foreignKey: 'contractorId' })
  declare contractor: BelongsTo<typeof User>

  @belongsTo(() => Service)
  declare service: BelongsTo<typeof Service>

  /** What the contractor receives for the line: amount − platform fee */
  get contractorAmount() {
    return this.amount - this.feeAmount
  }

  get isOpen() {
    return OPEN_LINE_STATUSES.includes(this.status)
  }

  @beforeCreate()
  static assignReference(record: { reference?: string }) {
    record.reference ??= randomUUID()
  }
}
