import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import { BaseModel, beforeCreate, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import User from '#models/user'
import Order from '#models/order'
import { StateMachine } from '#models/state_machine'

export const PAYMENT_STATUSES = [
  'pending',
  'requires_action',
  'processing',
  'authorized',
  'succeeded',
  'partially_refunded',
  'refunded',
  'canceled',
  'failed',
] as const
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number]

/** What Stripe reported happened to the PaymentIntent (or its refunds) */
export type PaymentVerb =
  | 'require_action'
  | 'process'
  | 'authorize'
  | 'succeed'
  | 'fail'
  | 'cancel'
  | 'refund_partly'
  | 'refund_fully'

/** What a person or Crewpay asks Stripe to do with a payment */
export type PaymentRequest = 'capture' | 'cancel'

/**
 * `hold`: a one-line card order; the card is authorized (manual capture,
 * destination charge) and captured when the work is approved.
 * `charge`: several lines, or a bank debit; captured at once on the
 * platform, each line's money transferred when the line is approved.
 * `destination`: a payment request's payment; a destination charge to the
 * contractor with the platform fee, captured at once (card or bank debit).
 */
export type PaymentFlow = 'hold' | 'charge' | 'destination'
export type PaymentMethodType = 'card' | 'us_bank_account'

/** How the employer authorized a bank debit (Stripe's mandate_data.customer_acceptance) */
export type MandateAcceptance =
  { type: 'online'; ipAddress: string; userAgent: string } | { type: 'offline' }

/**
 * The payment status follows Stripe, forward only: (status, verb) → [next,
 * who]. Stripe's answers, webhooks and reconciliation all go through it, so
 * an old event can never move a payment back (a capture is never undone by a
 * late "authorized"). Crewpay itself (system) only closes a payment whose
 * request never reached Stripe.
 */
export const PAYMENT_STATES = new StateMachine<PaymentStatus, PaymentVerb>(
  'payment',
  {
    pending: {
      require_action: ['requires_action', ['stripe']],
      process: ['processing', ['stripe']],
      authorize: ['authorized', ['stripe']],
      succeed: ['succeeded', ['stripe']],
      fail: ['failed', ['stripe', 'system']],
      cancel: ['canceled', ['stripe']],
    },
    requires_action: {
      process: ['processing', ['stripe']],
      authorize: ['authorized', ['stripe']],
      succeed: ['succeeded', ['stripe']],
      fail: ['failed', ['stripe']],
      cancel: ['canceled', ['stripe']],
    },
    processing: {
      succeed: ['succeeded', ['stripe']],
      fail: ['failed', ['stripe']],
      cancel: ['canceled', ['stripe']],
    },
    authorized: {
      succeed: ['succeeded', ['stripe']],
      cancel: ['canceled', ['stripe']],
    },
    succeeded: {
      refund_partly: ['partially_refunded', ['stripe']],
      refund_fully: ['refunded', ['stripe']],
    },
    partially_refunded: {
      refund_partly: ['partially_refunded', ['stripe']],
      refund_fully: ['refunded', ['stripe']],
    },
    refunded: {},
    canceled: {},
    failed: {},
  },
  (status) => PAYMENT_STATUS_WORDS[status]
)

/**
 * What may be asked of Stripe, from which status, by whom: (status, request)
 * → [the status Stripe's acceptance leads to, who may ask].
 */
export const PAYMENT_REQUESTS = new StateMachine<PaymentStatus, PaymentRequest>(
  'payment',
  {
    pending: {},
    requires_action: { cancel: ['canceled', ['employer', 'admin', 'system']] },
    processing: {},
    authorized: {
      capture: ['succeeded', ['employer', 'admin', 'system']],
      cancel: ['canceled', ['employer', 'contractor', 'admin', 'system']],
    },
    succeeded: {},
    partially_refunded: {},
    refunded: {},
    canceled: {},
    failed: {},
  },
  (status) => PAYMENT_STATUS_WORDS[status]
)

const PAYMENT_STATUS_WORDS: Record<PaymentStatus, string> = {
  pending: 'is still being sent to the payment provider',
  requires_action: 'is waiting for the employer to authenticate',
  processing: 'is processing',
  authorized: 'is held on the card',
  succeeded: 'was already captured',
  partially_refunded: 'was captured and partly refunded',
  refunded: 'was refunded',
  canceled: 'was canceled',
  failed: 'failed',
}

/** The verb of each status Stripe can report */
const VERB_TO: Partial<Record<PaymentStatus, PaymentVerb>> = {
  requires_action: 'require_action',
  processing: 'process',
  authorized: 'authorize',
  succeeded: 'succeed',
  failed: 'fail',
  canceled: 'cancel',
  partially_refunded: 'refund_partly',
  refunded: 'refund_fully',
}

/**
 * The one mapping from a PaymentIntent's status to ours: the verb Stripe's
 * state amounts to, or null when it says nothing new (a PaymentIntent
 * waiting for a payment method or a confirmation).
 */
export function paymentVerbFromStripe(paymentIntent: Stripe.PaymentIntent): PaymentVerb | null {
  switch (paymentIntent.status) {
    case 'requires_payment_method':
      // A decline or a failed bank debit: Stripe returns the PaymentIntent to this state
      return paymentIntent.last_payment_error ? 'fail' : null
    case 'requires_confirmation':
      return null
    case 'requires_action':
      return 'require_action'
    case 'processing':
      return 'process'
    case 'requires_capture':
      return 'authorize'
    case 'succeeded':
      return 'succeed'
    case 'canceled':
      return 'cancel'
    default:
      return null
  }
}

export function verbTo(status: PaymentStatus): PaymentVerb | null {
  return VERB_TO[status] ?? null
}

/** Statuses in which the money was taken (and may have been partly given back) */
export const CAPTURED_STATUSES: PaymentStatus[] = ['succeeded', 'partially_refunded', 'refunded']

/** Statuses of a payment that is over without money having moved */
export const DEAD_STATUSES: PaymentStatus[] = ['canceled', 'failed']

/** The timestamp each status sets when a payment enters it */
export const PAYMENT_ENTERED_AT: Partial<Record<PaymentStatus, keyof Payment>> = {
  authorized: 'authorizedAt',
  succeeded: 'succeededAt',
  canceled: 'canceledAt',
  failed: 'failedAt',
  partially_refunded: 'refundedAt',
  refunded: 'refundedAt',
}

export default class Payment extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  /** Unique per record; part of its Stripe idempotency keys */
  @column()
  declare reference: string

  @column()
  declare orderId: number | null

  /** The payment request it pays (destination flow); null for an order's payment */
  @column()
  declare paymentRequestId: number | null

  /** The payment form it came from (a request's): the same form sent twice is one payment */
  @column()
  declare formToken: string | null

  /** 'off_session': the new card is saved on the employer's customer for later */
  @column()
  declare setupFutureUsage: 'off_session' | null

  /** A bank debit's authorization, as sent to Stripe (online: ip and user agent; offline) */
  @column({
    prepare: (value: unknown) =>
      value === null || value === undefined ? null : JSON.stringify(value),
  })
  declare mandateAcceptance: MandateAcceptance | null

  /** "Visa", "STRIPE TEST BANK": for receipts (request payments) */
  @column()
  declare methodBrand: string | null

  @column({ columnName: 'method_last4' })
  declare methodLast4: string | null

  @column()
  declare employerId: number

  @column()
  declare methodType: PaymentMethodType

  @column()
  declare paymentMethodId: string | null

  @column()
  declare flow: PaymentFlow

  /**
   * Confirmed while the employer was there (an order placed from the
   * website): Stripe may ask them to authenticate (3-D Secure). Otherwise
   * confirmed off session, where a card that needs authentication fails.
   */
  @column()
  declare onSession: boolean

  /** Minor units of `currency` */
  @column()
  declare amount: number

  @column()
  declare currency: string

  /** The destination charge's application fee (hold and destination flows) */
  @column()
  declare applicationFeeAmount: number | null

  @column()
  declare amountCaptured: number

  @column()
  declare amountRefunded: number

  /** Stripe's processing fee on the charge, once known */
  @column()
  declare stripeFee: number | null

  @column()
  declare status: PaymentStatus

  /** A capture or cancel written before it is sent to Stripe (one at a time) */
  @column()
  declare pendingAction: PaymentRequest | null

  @column()
  declare pendingActionAmount: number | null

  /** The application fee of a partial capture, decided when it was asked */
  @column()
  declare pendingActionFee: number | null

  @column()
  declare pendingActionReason: string | null

  @column()
  declare pendingActionActor: string | null

  @column.dateTime()
  declare pendingActionAt: DateTime | null

  @column()
  declare stripePaymentIntentId: string | null

  @column()
  declare stripeChargeId: string | null

  /** When Stripe drops an uncaptured authorization (hold flow) */
  @column.dateTime()
  declare captureBefore: DateTime | null

  /** When Stripe expects a processing bank debit to settle */
  @column.dateTime()
  declare expectedAt: DateTime | null

  @column()
  declare failureCode: string | null

  @column()
  declare failureMessage: string | null

  @column()
  declare cancellationReason: string | null

  @column()
  declare disputed: boolean

  @column.dateTime()
  declare authorizedAt: DateTime | null

  @column.dateTime()
  declare succeededAt: DateTime | null

  @column.dateTime()
  declare canceledAt: DateTime | null

  @column.dateTime()
  declare failedAt: DateTime | null

  @column.dateTime()
  declare refundedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => Order)
  declare order: BelongsTo<typeof Order>

  @belongsTo(() => User, { foreignKey: 'employerId' })
  declare employer: BelongsTo<typeof User>

  get isHeld() {
    return this.status === 'authorized'
  }

  get isCaptured() {
    return CAPTURED_STATUSES.includes(this.status)
  }

  @beforeCreate()
  static assignReference(record: { reference?: string }) {
    record.reference ??= randomUUID()
  }
}
