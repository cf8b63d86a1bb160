import { configProvider } from '@adonisjs/core'
import type { ConfigProvider } from '@adonisjs/core/types'
import { stores } from '@adonisjs/session'
import type {
  SessionData,
  SessionStoreFactory,
  SessionStoreWithTaggingContract,
} from '@adonisjs/session/types'

/*
|--------------------------------------------------------------------------
| The database session store, touched at most every few minutes
|--------------------------------------------------------------------------
|
| @adonisjs/session's database store pushes a session's expiry forward with an
| UPDATE on every request that leaves the session unchanged: one statement of
| every signed-in page. This wraps it (reads, writes, tags unchanged) and skips
| the touch when this process touched or wrote that session less than
| TOUCH_AFTER_MS ago, as connect-mongo's `touchAfter` does. A session may then
| expire up to that long before "its age after the last request"; the cookie
| itself is renewed on every response.
|
*/

export const TOUCH_AFTER_MS = 5 * 60 * 1000

/** Sessions this process touched or wrote lately: id → when (oldest first, bounded) */
const touchedAt = new Map<string, number>()
const REMEMBERED = 10_000

function remember(sessionId: string, now: number) {
  touchedAt.delete(sessionId)
  touchedAt.set(sessionId, now)
  if (touchedAt.size > REMEMBERED) {
    touchedAt.delete(touchedAt.keys().next().value!)
  }
}

class TouchThrottledStore implements SessionStoreWithTaggingContract {
  constructor(private store: SessionStoreWithTaggingContract) {}

  read(sessionId: string) {
    return this.store.read(sessionId)
  }

  async write(sessionId: string, values: SessionData) {
    await this.store.write(sessionId, values)
    remember(sessionId, Date.now())
  }

  async destroy(sessionId: string) {
    touchedAt.delete(sessionId)
    await this.store.destroy(sessionId)
  }

  async touch(sessionId: string) {
    const now = Date.now()
    const last = touchedAt.get(sessionId)
    if (last !== undefined && now - last < TOUCH_AFTER_MS) {
      return
    }
    await this.store.touch(sessionId)
    remember(sessionId, now)
  }

  tag(sessionId: string, userId: string) {
    return this.store.tag(sessionId, userId)
  }

  untag(sessionId: string, userId: string) {
    return this.store.untag(sessionId, userId)
  }

  tagged(userId: string) {
    return this.store.tagged(userId)
  }
}

/** stores.database(…), touched at most every TOUCH_AFTER_MS per session */
export function throttledDatabaseStore(
  config: Parameters<typeof stores.database>[0]
): ConfigProvider<SessionStoreFactory> {
  const database = stores.database(config)
  return configProvider.create(async (app) => {
    const factory = await database.resolver(app)
    return (ctx, sessionConfig) =>
      new TouchThrottledStore(factory(ctx, sessionConfig) as SessionStoreWithTaggingContract)
  })
}

/** Forgets which sessions were touched (tests) */
export function forgetTouches() {
  touchedAt.clear()
}
