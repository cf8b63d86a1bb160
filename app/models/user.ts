import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import hash from '@adonisjs/core/services/hash'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, beforeCreate, beforeSave, column, hasOne } from '@adonisjs/lucid/orm'
import type { HasOne } from '@adonisjs/lucid/types/relations'
import { withAuthFinder } from '@adonisjs/auth/mixins/lucid'
import UserProfile from '#models/user_profile'

export const ROLES = ['employer', 'contractor', 'admin'] as const
export type Role = (typeof ROLES)[number]

/** Roles anyone may pick on the signup form; admins come from `node ace users:create-admin` */
export const SIGNUP_ROLES = ['employer', 'contractor'] as const

const AuthFinder = withAuthFinder(() => hash.use('scrypt'), {
  uids: ['email'],
  passwordColumnName: 'password',
})

export default class User extends compose(BaseModel, AuthFinder) {
  @column({ isPrimary: true })
  declare id: number

  /** Unique per record; part of its Stripe idempotency keys */
  @column()
  declare reference: string

  @column()
  declare email: string

  @column({ serializeAs: null })
  declare password: string

  @column()
  declare fullName: string

  @column()
  declare role: Role

  /** Optional mail (welcome, status updates, reminders); transactional and security mail is always sent */
  @column()
  declare optionalMail: boolean

  /** IANA time zone every time is shown in (settings) */
  @column()
  declare timeZone: string

  /** Set when the owner deleted the account: the row stays, anonymised (actions/users/delete_account.ts) */
  @column.dateTime()
  declare deletedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @hasOne(() => UserProfile)
  declare profile: HasOne<typeof UserProfile>

  /** One spelling per address: emails are stored lower-cased and trimmed */
  @beforeSave()
  static normalizeEmail(user: User) {
    if (user.$dirty.email) {
      user.email = normalizeEmail(user.email)
    }
  }

  @beforeCreate()
  static assignReference(user: User) {
    user.reference ??= randomUUID()
  }

  get isEmployer() {
    return this.role === 'employer'
  }

  get isContractor() {
    return this.role === 'contractor'
  }

  get isAdmin() {
    return this.role === 'admin'
  }
}

export function normalizeEmail(email: string) {
  return email.trim().toLowerCase()
}
