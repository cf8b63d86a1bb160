import limiter from '@adonisjs/limiter/services/main'
import type { LimiterConsumptionOptions } from '@adonisjs/limiter/types'

/*
|--------------------------------------------------------------------------
| Throttles of the guest forms
|--------------------------------------------------------------------------
|
| Failed logins are counted twice: per email + IP (one account guessed at)
| and per IP alone (password spraying: one password tried on many emails).
| A success clears the first count only, so logging into one's own account
| between attempts does not reset the spraying count. Signups are counted
| per IP, failed or not (each one can also tell whether an email has an
| account). The counters live in the database store, shared by every app
| process.
|
*/

const LIMITS = {
  /** 5 failures per email + IP in a minute block that pair for a minute */
  loginPair: { requests: 5, duration: '1 minute', blockDuration: '1 minute' },
  /** 20 failures from one IP in 15 minutes, whatever the emails, block it for 15 minutes */
  loginIp: { requests: 20, duration: '15 minutes', blockDuration: '15 minutes' },
  /** 10 signups attempted from one IP in an hour block it for an hour */
  signupIp: { requests: 10, duration: '1 hour', blockDuration: '1 hour' },
} satisfies Record<string, LimiterConsumptionOptions>

type Counter = keyof typeof LIMITS

function counter(name: Counter) {
  return limiter.use(LIMITS[name])
}

/** Seconds until `key` may try again, or null when it is not blocked */
async function waitFor(name: Counter, key: string): Promise<number | null> {
  const state = await counter(name).get(key)
  if (!state || state.remaining > 0) {
    return null
  }
  return Math.max(1, state.availableIn)
}

/** Counts one attempt; the last one allowed blocks the key for the block duration */
async function count(name: Counter, key: string) {
  const proxy = counter(name)
  const { consumed, limit } = await proxy.increment(key)
  if (consumed >= limit) {
    await proxy.block(key, LIMITS[name].blockDuration)
  }
}

const loginKeys = (email: string, ip: string) => ({
  pair: `login:${email}:${ip}`,
  ip: `login_ip:${ip}`,
})

export const loginThrottle = {
  /** Seconds to wait before this email may be tried from this IP, or null */
  async waitFor(email: string, ip: string) {
    const keys = loginKeys(email, ip)
    const waits = [await waitFor('loginPair', keys.pair), await waitFor('loginIp', keys.ip)]
    const blocked = waits.filter((wait): wait is number => wait !== null)
    return blocked.length ? Math.max(...blocked) : null
  },

  async failed(email: string, ip: string) {
    const keys = loginKeys(email, ip)
    await count('loginPair', keys.pair)
    await count('loginIp', keys.ip)
  },

  async succeeded(email: string, ip: string) {
    await counter('loginPair').delete(loginKeys(email, ip).pair)
  },
}

export const signupThrottle = {
  /** Counts this attempt; the seconds to wait when the IP is over its limit, or null */
  async attempt(ip: string) {
    const key = `signup_ip:${ip}`
    const wait = await waitFor('signupIp', key)
    if (wait !== null) {
      return wait
    }
    await count('signupIp', key)
    return null
  },
}

/** The one message of every throttle: what happened and when to try again */
export function tryAgainMessage(what: string, seconds: number) {
  return `${what} Try again in ${seconds} seconds.`
}
