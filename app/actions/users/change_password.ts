import { DateTime } from 'luxon'
import hash from '@adonisjs/core/services/hash'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import { notify } from '#mails/notify'
import { endSessions } from '#services/sessions'
import { errors as vineErrors } from '@vinejs/vine'

/**
 * A new password, given the current one. Every other session of the user
 * ends (this one stays) and the security mail says when and from where.
 * Returns how many other sessions ended.
 */
export async function changePassword(
  user: User,
  input: { currentPassword: string; newPassword: string; ip: string | null; sessionId: string }
) {
  if (!(await hash.verify(user.password, input.currentPassword))) {
    throw new vineErrors.E_VALIDATION_ERROR([
      {
        field: 'current_password',
        rule: 'current_password',
        message: 'This is not your current password, so nothing was changed.',
      },
    ])
  }
  if (await hash.verify(user.password, input.newPassword)) {
    throw new vineErrors.E_VALIDATION_ERROR([
      {
        field: 'password',
        rule: 'password.same',
        message: 'This is the password you have now: choose another.',
      },
    ])
  }
  await db.transaction(async (trx) => {
    const locked = await User.query({ client: trx }).where('id', user.id).forUpdate().firstOrFail()
    locked.password = input.newPassword
    await locked.save()
    await notify(trx, {
      key: `password_changed:settings:${user.id}:${Date.now()}`,
      to: { userId: user.id },
      message: 'password_changed',
      data: { changedAt: DateTime.now().toISO()!, ip: input.ip },
    })
  })
  return endSessions(user.id, { except: input.sessionId })
}
