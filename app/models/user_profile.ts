import { DateTime } from 'luxon'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import User from '#models/user'

/** A requirements.errors entry as Stripe reports it */
export interface RequirementError {
  requirement: string
  code: string
  reason: string
}

const jsonList = {
  prepare: (value: unknown) => JSON.stringify(value ?? []),
  consume: (value: unknown) => (Array.isArray(value) ? value : []),
}

export default class UserProfile extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare userId: number

  /** cus_… for employers, acct_… for contractors */
  @column()
  declare stripeId: string | null

  @column()
  declare defaultPaymentMethodId: string | null

  @column()
  declare defaultCurrency: string

  @column()
  declare feeBasisPointsOverride: number | null

  @column()
  declare feeFixedOverride: number | null

  @column()
  declare feeMinimumOverride: number | null

  @column()
  declare feeMaximumOverride: number | null

  @column()
  declare chargesEnabled: boolean

  @column()
  declare payoutsEnabled: boolean

  @column()
  declare detailsSubmitted: boolean

  @column()
  declare transfersCapability: string | null

  @column(jsonList)
  declare requirementsCurrentlyDue: string[]

  @column(jsonList)
  declare requirementsEventuallyDue: string[]

  @column(jsonList)
  declare requirementsPastDue: string[]

  @column(jsonList)
  declare requirementsPendingVerification: string[]

  @column(jsonList)
  declare requirementsErrors: RequirementError[]

  @column()
  declare disabledReason: string | null

  @column.dateTime()
  declare stripeSyncedAt: DateTime | null

  @column.dateTime()
  declare tosAcceptedAt: DateTime | null

  @column()
  declare tosIp: string | null

  @column()
  declare tosUserAgent: string | null

  @column()
  declare bankName: string | null

  @column({ columnName: 'bank_last4' })
  declare bankLast4: string | null

  /** Successful onboarding writes to Stripe; part of their idempotency keys */
  @column()
  declare onboardingRevision: number

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => User)
  declare user: BelongsTo<typeof User>
}
