import app from '@adonisjs/core/services/app'
import { SessionCollection } from '@adonisjs/session'
import type { Session } from '@adonisjs/session'

/**
 * Server-side sessions are tagged with their user at login, so that a user's
 * sessions can be found and ended: "log out of other sessions", and every
 * session after a password reset. The database store (the default outside
 * tests) and the memory store support tags; the cookie store cannot.
 */
export async function tagSession(session: Session, user: { id: number }) {
  if (session.supportsTagging()) {
    await session.tag(String(user.id))
  }
}

export async function canEndSessions() {
  const collection = await app.container.make(SessionCollection)
  return collection.supportsTagging()
}

/** The user's live sessions (their ids), when the store can tell */
export async function sessionsOf(userId: number) {
  const collection = await app.container.make(SessionCollection)
  if (!collection.supportsTagging()) {
    return []
  }
  const sessions = await collection.tagged(String(userId))
  return sessions.map((session) => session.id)
}

/** Ends every session of the user but `except`; returns how many ended */
export async function endSessions(userId: number, options: { except?: string } = {}) {
  const collection = await app.container.make(SessionCollection)
  if (!collection.supportsTagging()) {
    return 0
  }
  let ended = 0
  for (const session of await collection.tagged(String(userId))) {
    if (session.id !== options.except) {
      await collection.destroy(session.id)
      ended += 1
    }
  }
  return ended
}
