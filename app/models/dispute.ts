import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { BaseModel, beforeCreate, belongsTo, column, hasMany } from '@adonisjs/lucid/orm'
import type { BelongsTo, HasMany } from '@adonisjs/lucid/types/relations'
import Payment from '#models/payment'
import Order from '#models/order'
import DisputeLine from '#models/dispute_line'
import { StateMachine } from '#models/state_machine'

/**
 * Stripe's dispute statuses (stripe-disputes.md §15.2): an inquiry
 * (`warning_*`), a chargeback, and the appeal stage of API 2026-10-28.
 */
export const DISPUTE_STATUSES = [
  'warning_needs_response',
  'warning_under_review',
  'warning_closed',
  'needs_response',
  'under_review',
  'won',
  'lost',
  'prevented',
  'appeal_needs_response',
  'appeal_under_review',
] as const
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number]

/** What Stripe reported happened to the dispute: one verb per status it leads to */
export type DisputeVerb =
  | 'review_inquiry'
  | 'close_inquiry'
  | 'escalate'
  | 'review'
  | 'win'
  | 'lose'
  | 'prevent'
  | 'appeal'
  | 'review_appeal'

/** What an admin asks Stripe: evidence staged, evidence submitted, the dispute accepted */
export type DisputeRequest = 'stage' | 'submit' | 'accept'

const STRIPE = ['stripe'] as const
const ADMIN = ['admin'] as const

/**
 * The dispute status follows Stripe, forward only: (status, verb) → [next,
 * who]. Webhooks (in any order), answers to our own requests and
 * reconciliation all go through it, so a late `charge.dispute.updated` can
 * never reopen a dispute Stripe has closed. A step Stripe may skip (evidence
 * answered by a ruling at once, an inquiry escalated and answered between
 * two events) is a pair of its own.
 */
export const DISPUTE_STATES = new StateMachine<DisputeStatus, DisputeVerb>(
  'dispute',
  {
    warning_needs_response: {
      review_inquiry: ['warning_under_review', STRIPE],
      close_inquiry: ['warning_closed', STRIPE],
      escalate: ['needs_response', STRIPE],
      review: ['under_review', STRIPE],
      win: ['won', STRIPE],
      lose: ['lost', STRIPE],
      prevent: ['prevented', STRIPE],
    },
    warning_under_review: {
      close_inquiry: ['warning_closed', STRIPE],
      escalate: ['needs_response', STRIPE],
      review: ['under_review', STRIPE],
      win: ['won', STRIPE],
      lose: ['lost', STRIPE],
    },
    warning_closed: {},
    needs_response: {
      review: ['under_review', STRIPE],
      win: ['won', STRIPE],
      lose: ['lost', STRIPE],
      prevent: ['prevented', STRIPE],
    },
    under_review: {
      win: ['won', STRIPE],
      lose: ['lost', STRIPE],
    },
    won: {},
    // Eligible disputes can be appealed after a loss (API 2026-10-28)
    lost: { appeal: ['appeal_needs_response', STRIPE] },
    prevented: {},
    appeal_needs_response: {
      review_appeal: ['appeal_under_review', STRIPE],
      win: ['won', STRIPE],
      lose: ['lost', STRIPE],
    },
    appeal_under_review: {
      win: ['won', STRIPE],
      lose: ['lost', STRIPE],
    },
  },
  (status) => DISPUTE_STATUS_WORDS[status]
)

/**
 * What an admin may ask Stripe, from which status: (status, request) → [the
 * status Stripe's acceptance leads to, who]. Evidence is answered once: a
 * dispute under review (or closed) takes no more. Appeals are made on
 * Stripe's Dashboard.
 */
export const DISPUTE_REQUESTS = new StateMachine<DisputeStatus, DisputeRequest>(
  'dispute',
  {
    warning_needs_response: {
      stage: ['warning_needs_response', ADMIN],
      submit: ['warning_under_review', ADMIN],
      accept: ['warning_closed', ADMIN],
    },
    warning_under_review: {},
    warning_closed: {},
    needs_response: {
      stage: ['needs_response', ADMIN],
      submit: ['under_review', ADMIN],
      accept: ['lost', ADMIN],
    },
    under_review: {},
    won: {},
    lost: {},
    prevented: {},
    appeal_needs_response: {},
    appeal_under_review: {},
  },
  (status) => DISPUTE_STATUS_WORDS[status]
)

const DISPUTE_STATUS_WORDS: Record<DisputeStatus, string> = {
  warning_needs_response: 'is an inquiry waiting for a response',
  warning_under_review: 'is an inquiry whose response the bank is reviewing',
  warning_closed: 'is an inquiry the bank closed',
  needs_response: 'is a chargeback waiting for a response',
  under_review: 'is under review: its evidence was submitted',
  won: 'was won',
  lost: 'was lost',
  prevented: 'was prevented',
  appeal_needs_response: 'was lost and can be appealed on Stripe',
  appeal_under_review: 'is under review on appeal',
}

const VERB_TO: Record<DisputeStatus, DisputeVerb | null> = {
  warning_needs_response: null,
  warning_under_review: 'review_inquiry',
  warning_closed: 'close_inquiry',
  needs_response: 'escalate',
  under_review: 'review',
  won: 'win',
  lost: 'lose',
  prevented: 'prevent',
  appeal_needs_response: 'appeal',
  appeal_under_review: 'review_appeal',
}

export function isDisputeStatus(value: string): value is DisputeStatus {
  return (DISPUTE_STATUSES as readonly string[]).includes(value)
}

/** The verb that leads to Stripe's status (null: a status we do not know, or the first one) */
export function disputeVerbTo(status: string): DisputeVerb | null {
  return isDisputeStatus(status) ? VERB_TO[status] : null
}

/** Closed for good: nothing more can be sent, the outcome is known */
export const CLOSED_DISPUTE_STATUSES: DisputeStatus[] = [
  'won',
  'lost',
  'warning_closed',
  'prevented',
]

/** A chargeback still being decided (Stripe refuses refunds of its charge) */
export const OPEN_CHARGEBACK_STATUSES: DisputeStatus[] = [
  'needs_response',
  'under_review',
  'appeal_needs_response',
  'appeal_under_review',
]

/** Statuses in which a response is awaited from Crewpay */
export const NEEDS_RESPONSE_STATUSES: DisputeStatus[] = ['warning_needs_response', 'needs_response']

export type DisputeRecovery = 'reverse' | 'debit' | 'none'
export type DisputeFeePaidBy = 'platform' | 'contractor'

/**
 * A chargeback or an inquiry on one of our payments (one per Stripe
 * dispute), with the lines it concerns (`dispute_lines`). Its status follows
 * Stripe through DISPUTE_STATES.
 */
export default class Dispute extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  /** Unique per record; part of its Stripe idempotency keys */
  @column()
  declare reference: string

  @column()
  declare paymentId: number

  @column()
  declare orderId: number | null

  /** The payment request the disputed payment paid (null for an order's payment) */
  @column()
  declare paymentRequestId: number | null

  @column()
  declare stripeDisputeId: string

  @column()
  declare stripeChargeId: string

  /** Minor units of `currency` */
  @column()
  declare amount: number

  @column()
  declare currency: string

  @column()
  declare reason: string

  @column()
  declare status: DisputeStatus

  /** It began as an inquiry */
  @column()
  declare inquiry: boolean

  @column()
  declare networkReasonCode: string | null

  @column.dateTime()
  declare dueBy: DateTime | null

  @column()
  declare isChargeRefundable: boolean

  @column()
  declare hasEvidence: boolean

  @column()
  declare evidenceSubmissionCount: number

  @column.dateTime()
  declare evidenceSubmittedAt: DateTime | null

  @column()
  declare pastDue: boolean

  /** won, lost, warning_closed or prevented, once closed */
  @column()
  declare outcome: DisputeStatus | null

  @column.dateTime()
  declare closedAt: DateTime | null

  @column()
  declare balanceCurrency: string | null

  /** Taken from the platform's balance (the disputed amount), and the dispute fee */
  @column()
  declare withdrawnAmount: number

  @column()
  declare withdrawnFee: number

  @column.dateTime()
  declare withdrawnAt: DateTime | null

  /** Given back by a win (and the fee, when Stripe returns it) */
  @column()
  declare reinstatedAmount: number

  /** The dispute fee Stripe gave back with the reinstatement */
  @column()
  declare reinstatedFee: number

  @column.dateTime()
  declare reinstatedAt: DateTime | null

  /** DISPUTE_RECOVERY in force when the funds were withdrawn */
  @column()
  declare recovery: DisputeRecovery | null

  /** DISPUTE_FEE_PAID_BY in force when the funds were withdrawn */
  @column()
  declare feePaidBy: DisputeFeePaidBy | null

  @column.dateTime()
  declare settledAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => Payment)
  declare payment: BelongsTo<typeof Payment>

  @belongsTo(() => Order)
  declare order: BelongsTo<typeof Order>

  @hasMany(() => DisputeLine)
  declare lines: HasMany<typeof DisputeLine>

  get isClosed() {
    return CLOSED_DISPUTE_STATUSES.includes(this.status)
  }

  /** An inquiry still (not escalated to a chargeback) */
  get isInquiry() {
    return this.status.startsWith('warning_')
  }

  get isOpenChargeback() {
    return OPEN_CHARGEBACK_STATUSES.includes(this.status)
  }

  @beforeCreate()
  static assignReference(record: { reference?: string }) {
    record.reference ??= randomUUID()
  }
}
