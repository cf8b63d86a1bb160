import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { BaseModel, beforeCreate, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import User from '#models/user'
import { StateMachine } from '#models/state_machine'

export const BANK_ACCOUNT_STATUSES = [
  'pending',
  'requires_verification',
  'verified',
  'failed',
  'removed',
] as const
export type BankAccountStatus = (typeof BANK_ACCOUNT_STATUSES)[number]

/**
 * await_verification: Stripe waits for the microdeposits to be confirmed;
 * verify: Stripe saved the account (instantly, or after the microdeposits);
 * fail: Stripe refused it, or verification failed (too many attempts, a
 * timeout, deposits that could not be sent); remove: the employer removed it.
 */
export type BankAccountVerb = 'await_verification' | 'verify' | 'fail' | 'remove'

/**
 * An employer's bank account: (status, verb) → [next status, who may].
 * Stripe's answers drive verification, forward only; Crewpay itself (system)
 * only closes a row whose request never reached Stripe.
 */
export const BANK_ACCOUNT_STATES = new StateMachine<BankAccountStatus, BankAccountVerb>(
  'bank account',
  {
    pending: {
      await_verification: ['requires_verification', ['stripe']],
      verify: ['verified', ['stripe']],
      fail: ['failed', ['stripe', 'system']],
    },
    requires_verification: {
      verify: ['verified', ['stripe']],
      fail: ['failed', ['stripe']],
      remove: ['removed', ['employer']],
    },
    verified: {
      remove: ['removed', ['employer']],
    },
    failed: {
      remove: ['removed', ['employer']],
    },
    removed: {},
  },
  (status) => BANK_ACCOUNT_STATUS_WORDS[status]
)

const BANK_ACCOUNT_STATUS_WORDS: Record<BankAccountStatus, string> = {
  pending: 'is still being sent to the payment provider',
  requires_verification: 'is waiting for its verification',
  verified: 'is verified',
  failed: 'could not be verified',
  removed: 'was removed',
}

/** The timestamp each status sets when a bank account enters it */
export const BANK_ACCOUNT_ENTERED_AT: Partial<Record<BankAccountStatus, keyof BankAccount>> = {
  verified: 'verifiedAt',
  failed: 'failedAt',
  removed: 'removedAt',
}

/**
 * A US bank account an employer pays from (ACH Direct Debit). Stripe holds
 * the account; Crewpay keeps the bank's name, the last 4 digits, the
 * verification state and the debit authorization (mandate) accepted.
 */
export default class BankAccount extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  /** Unique per record; part of its Stripe idempotency keys */
  @column()
  declare reference: string

  @column()
  declare employerId: number

  @column()
  declare formToken: string | null

  @column()
  declare status: BankAccountStatus

  @column()
  declare stripeSetupIntentId: string | null

  @column()
  declare stripePaymentMethodId: string | null

  @column()
  declare stripeMandateId: string | null

  @column()
  declare bankName: string | null

  @column({ columnName: 'last4' })
  declare last4: string | null

  @column()
  declare accountHolderType: 'individual' | 'company'

  /** `instant` (Financial Connections) or `microdeposits` */
  @column()
  declare verificationMethod: string | null

  /** `amounts` or `descriptor_code` */
  @column()
  declare microdepositType: string | null

  @column.dateTime()
  declare microdepositsArriveAt: DateTime | null

  @column()
  declare failureCode: string | null

  @column()
  declare failureMessage: string | null

  /** Which authorization text was accepted (app/actions/bank_accounts/mandate.ts) */
  @column()
  declare mandateVersion: string

  @column.dateTime()
  declare mandateAcceptedAt: DateTime

  @column()
  declare mandateIp: string

  @column()
  declare mandateUserAgent: string | null

  @column.dateTime()
  declare verifiedAt: DateTime | null

  @column.dateTime()
  declare failedAt: DateTime | null

  @column.dateTime()
  declare removedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => User, { foreignKey: 'employerId' })
  declare employer: BelongsTo<typeof User>

  get isVerified() {
    return this.status === 'verified'
  }

  /** "STRIPE TEST BANK ···· 6789" */
  get label() {
    return `${this.bankName ?? 'Bank account'} ···· ${this.last4 ?? '????'}`
  }

  @beforeCreate()
  static assignReference(record: { reference?: string }) {
    record.reference ??= randomUUID()
  }
}
