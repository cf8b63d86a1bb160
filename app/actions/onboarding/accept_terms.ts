import { DateTime } from 'luxon'
import type User from '#models/user'
import { updateAccount } from '#actions/onboarding/account_writes'

export const CONNECTED_ACCOUNT_AGREEMENT_URL = 'https://stripe.com/connect-account/legal'

const USER_AGENT_MAX = 500

/** "::ffff:203.0.113.7" (an IPv4 client on a dual-stack socket) → "203.0.113.7" */
export function normalizeIp(ip: string) {
  return ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1')
}

/**
 * Terms step: the contractor accepts the Stripe Connected Account Agreement.
 * Stripe requires the time, the client's IP and (optionally) user agent; we
 * keep the same record locally.
 */
export async function acceptTerms(user: User, client: { ip: string; userAgent: string | null }) {
  const acceptedAt = DateTime.now().startOf('second')
  const ip = normalizeIp(client.ip)
  const userAgent = client.userAgent ? client.userAgent.slice(0, USER_AGENT_MAX) : null
  const { profile } = await updateAccount(user, 'terms', {
    tos_acceptance: {
      date: acceptedAt.toUnixInteger(),
      ip,
      ...(userAgent ? { user_agent: userAgent } : {}),
    },
  })
  profile.merge({ tosAcceptedAt: acceptedAt, tosIp: ip, tosUserAgent: userAgent })
  await profile.save()
  return profile
}
