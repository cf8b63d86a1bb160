import db from '@adonisjs/lucid/services/db'
import User, { type Role } from '#models/user'
import UserProfile from '#models/user_profile'
import { errors as vineErrors } from '@vinejs/vine'
import { notify } from '#mails/notify'
import { enqueue } from '#services/queue'
import { DEFAULT_TIME_ZONE, isTimeZone } from '#services/time_zone'

export interface SignUpInput {
  full_name: string
  email: string
  password: string
  role: Role
  /** The browser's time zone (IANA), when the signup page could tell it */
  time_zone?: string | null
}

/**
 * Creates the user and their profile in one transaction. The validator
 * already refused a taken email; the unique index settles the race of two
 * simultaneous signups with the same address the same way. The welcome mail
 * and the user's Stripe identity (provision_stripe_identity) are queued in
 * the same transaction: signup never waits for Stripe or for mail.
 */
export async function signUp(input: SignUpInput): Promise<User> {
  try {
    return await db.transaction(async (trx) => {
      const user = await User.create(
        {
          fullName: input.full_name,
          email: input.email,
          password: input.password,
          role: input.role,
          timeZone:
            input.time_zone && isTimeZone(input.time_zone) ? input.time_zone : DEFAULT_TIME_ZONE,
        },
        { client: trx }
      )
      await UserProfile.create({ userId: user.id }, { client: trx })
      if (user.role !== 'admin') {
        await enqueue('provision_stripe_identity', { userId: user.id }, { trx })
      }
      await notify(trx, {
        key: `user:${user.id}:welcome`,
        to: { userId: user.id },
        message: 'welcome',
        data: { role: user.role },
      })
      return user
    })
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new vineErrors.E_VALIDATION_ERROR([
        { field: 'email', rule: 'database.unique', message: 'This email is already registered.' },
      ])
    }
    throw error
  }
}
