import { createHash, randomBytes } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import encryption from '@adonisjs/core/services/encryption'
import User, { normalizeEmail } from '#models/user'
import { notify } from '#mails/notify'
import { DomainError } from '#exceptions/domain_error'

/*
| A change of email takes effect only once the new address proves it is
| its owner's: a link mailed to it (single use, EMAIL_CHANGE_HOURS hours;
| only its SHA-256 is stored, the outbox holds it encrypted until sent).
| The old address is told when the change is made. A newer request replaces
| an older one.
*/

export const EMAIL_CHANGE_HOURS = 24

function hashToken(token: string) {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

async function emailTaken(email: string, exceptUserId: number) {
  const other = await User.query()
    .whereRaw('lower(email) = ?', [normalizeEmail(email)])
    .whereNot('id', exceptUserId)
    .first()
  return Boolean(other)
}

/** Mails a confirmation link to the new address; nothing changes until it is opened */
export async function requestEmailChange(user: User, newEmail: string) {
  const email = normalizeEmail(newEmail)
  if (email === user.email) {
    throw DomainError.invalid('This is already your email address.')
  }
  if (await emailTaken(email, user.id)) {
    throw DomainError.conflict('Another account uses this email address.')
  }
  const token = randomBytes(32).toString('base64url')
  const expiresAt = DateTime.now().plus({ hours: EMAIL_CHANGE_HOURS })
  await db.transaction(async (trx) => {
    // A newer request replaces any earlier one
    await trx
      .from('email_changes')
      .where('user_id', user.id)
      .whereNull('used_at')
      .update({ used_at: new Date() })
    const [row] = await trx
      .table('email_changes')
      .insert({
        user_id: user.id,
        new_email: email,
        token_hash: hashToken(token),
        expires_at: expiresAt.toJSDate(),
      })
      .returning('id')
    await notify(trx, {
      key: `email_change:${row.id}`,
      to: { email, name: user.fullName },
      message: 'email_change',
      data: {
        newEmail: email,
        encryptedToken: encryption.encrypt(token, `${EMAIL_CHANGE_HOURS} hours`, 'email_change'),
        expiresAt: expiresAt.toISO()!,
      },
    })
  })
  return { email, expiresAt }
}

/** The change waiting for its link, if any (for the settings page) */
export async function pendingEmailChange(user: User) {
  const row = await db
    .from('email_changes')
    .where('user_id', user.id)
    .whereNull('used_at')
    .where('expires_at', '>', new Date())
    .orderBy('id', 'desc')
    .first()
  return row ? { email: row.new_email as string } : null
}

/**
 * Makes the change the link names, once. Returns the user, or null for an
 * unknown, used or expired link (nothing changes then).
 */
export async function confirmEmailChange(token: string) {
  return db.transaction(async (trx) => {
    const [claimed] = await trx
      .from('email_changes')
      .where('token_hash', hashToken(token))
      .whereNull('used_at')
      .where('expires_at', '>', new Date())
      .update({ used_at: new Date() })
      .returning(['id', 'user_id', 'new_email'])
    if (!claimed) {
      return null
    }
    const user = await User.query({ client: trx })
      .where('id', claimed.user_id)
      .whereNull('deletedAt')
      .forUpdate()
      .first()
    if (!user) {
      return null
    }
    const taken = await User.query({ client: trx })
      .whereRaw('lower(email) = ?', [claimed.new_email])
      .whereNot('id', user.id)
      .first()
    if (taken) {
      throw DomainError.conflict(
        'Another account started using this email address in the meantime, so your email was not changed.'
      )
    }
    const oldEmail = user.email
    user.email = claimed.new_email
    await user.save()
    await notify(trx, {
      key: `email_changed:${claimed.id}`,
      to: { email: oldEmail, name: user.fullName },
      message: 'email_changed',
      data: { oldEmail, newEmail: user.email, changedAt: DateTime.now().toISO()! },
    })
    return user
  })
}
