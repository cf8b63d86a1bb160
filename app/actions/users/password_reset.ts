import { createHash, randomBytes } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import encryption from '@adonisjs/core/services/encryption'
import User, { normalizeEmail } from '#models/user'
import { notify } from '#mails/notify'
import { endSessions } from '#services/sessions'

/** A reset link works once, for an hour */
export const RESET_TOKEN_MINUTES = 60

function hashToken(token: string) {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/**
 * Mails a reset link when the address belongs to a user, and does nothing
 * otherwise: the caller answers the same either way. Only the token's
 * SHA-256 is stored; the outbox holds it encrypted with the app key until the
 * mail is sent, then not at all.
 */
export async function requestPasswordReset(email: string, ip: string | null) {
  const user = await User.findBy('email', normalizeEmail(email))
  if (!user) {
    return
  }
  const token = randomBytes(32).toString('base64url')
  const expiresAt = DateTime.now().plus({ minutes: RESET_TOKEN_MINUTES })
  await db.transaction(async (trx) => {
    const [row] = await trx
      .table('password_reset_tokens')
      .insert({
        user_id: user.id,
        token_hash: hashToken(token),
        expires_at: expiresAt.toJSDate(),
        requested_ip: ip,
      })
      .returning('id')
    await notify(trx, {
      key: `password_reset:${row.id}`,
      to: { userId: user.id },
      message: 'password_reset',
      data: {
        encryptedToken: encryption.encrypt(
          token,
          `${RESET_TOKEN_MINUTES} minutes`,
          'password_reset'
        ),
        expiresAt: expiresAt.toISO()!,
      },
    })
  })
}

/** Whether a token can still be used (unknown, used and expired ones cannot) */
export async function isResetTokenValid(token: string) {
  const row = await db
    .from('password_reset_tokens')
    .where('token_hash', hashToken(token))
    .whereNull('used_at')
    .where('expires_at', '>', new Date())
    .first()
  return Boolean(row)
}

/**
 * Sets the new password if the token is valid, and uses the token up (with
 * every other token of the user) in the same transaction. Then ends every
 * session of the user and mails a confirmation. Returns the user, or null
 * for an unknown, used or expired token (nothing changes then).
 */
export async function resetPassword(token: string, password: string, ip: string | null) {
  const user = await db.transaction(async (trx) => {
    const [claimed] = await trx
      .from('password_reset_tokens')
      .where('token_hash', hashToken(token))
      .whereNull('used_at')
      .where('expires_at', '>', new Date())
      .update({ used_at: new Date() })
      .returning(['id', 'user_id'])
    if (!claimed) {
      return null
    }
    const found = await User.query({ client: trx }).where('id', claimed.user_id).forUpdate().first()
    if (!found) {
      return null
    }
    found.password = password
    await found.save()
    await trx
      .from('password_reset_tokens')
      .where('user_id', found.id)
      .whereNull('used_at')
      .update({ used_at: new Date() })
    await notify(trx, {
      key: `password_changed:${claimed.id}`,
      to: { userId: found.id },
      message: 'password_changed',
      data: { changedAt: DateTime.now().toISO()!, ip },
    })
    return found
  })
  if (user) {
    await endSessions(user.id)
  }
  return user
}
