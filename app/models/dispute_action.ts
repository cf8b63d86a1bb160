import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { BaseModel, beforeCreate, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import Dispute from '#models/dispute'
import { StateMachine } from '#models/state_machine'

/** A file given as evidence: what it was, never its contents */
export interface EvidenceFile {
  /** The Stripe file (purpose dispute_evidence) */
  id: string
  name: string
  type: string
  size: number
}

/** Evidence fields sent to Stripe: text fields as written, file fields as their file */
export type EvidenceFields = Record<string, string | EvidenceFile>

export type DisputeActionStatus = 'pending' | 'succeeded' | 'failed'
export type DisputeActionVerb = 'succeed' | 'fail'

/** Evidence or an acceptance sent once: Stripe takes it or refuses it */
export const DISPUTE_ACTION_STATES = new StateMachine<DisputeActionStatus, DisputeActionVerb>(
  'dispute action',
  {
    pending: { succeed: ['succeeded', ['stripe']], fail: ['failed', ['stripe', 'system']] },
    succeeded: {},
    failed: {},
  },
  (status) => `is ${status}`
)

/**
 * What an admin sends Stripe about a dispute, written pending before it is
 * sent (its key comes from this row): evidence (staged, or submitted) or the
 * dispute accepted. At most one pending per dispute.
 */
export default class DisputeAction extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare reference: string

  @column()
  declare disputeId: number

  @column()
  declare kind: 'evidence' | 'accept'

  /** Evidence submitted to the bank (true) or only staged on Stripe (false) */
  @column()
  declare submit: boolean

  @column({
    prepare: (value: EvidenceFields | null) => (value ? JSON.stringify(value) : null),
    consume: (value: unknown) =>
      value && typeof value === 'object' ? (value as EvidenceFields) : null,
  })
  declare evidence: EvidenceFields | null

  @column()
  declare status: DisputeActionStatus

  @column()
  declare failureMessage: string | null

  @column()
  declare initiatedBy: string

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => Dispute)
  declare dispute: BelongsTo<typeof Dispute>

  @beforeCreate()
  static assignReference(record: { reference?: string }) {
    record.reference ??= randomUUID()
  }
}
