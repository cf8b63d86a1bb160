import { DateTime } from 'luxon'
import type Stripe from 'stripe'
import { normalizeIp } from '#actions/onboarding/accept_terms'

/*
| The ACH debit authorization (mandate) an employer accepts when saving a bank
| account. NACHA wants the customer to agree to a text naming who debits,
| when, and how to revoke; Stripe records the acceptance (time, IP, browser)
| on a Mandate; Crewpay keeps the same record on the bank account, with the
| version of the text shown.
*/

/** Changes whenever the text below changes: stored with each acceptance */
export const MANDATE_VERSION = 'ach-debit-2026-11'

export const MANDATE_TEXT =
  'By saving this bank account, you authorize Crewpay to debit it for the orders you place ' +
  'on Crewpay and choose to pay from it, for the amount shown when you place each order, ' +
  'under the Crewpay terms, until you revoke this authorization. You can revoke it at any ' +
  'time by removing the bank account from your payment methods or by contacting Crewpay; ' +
  'debits already started are not affected. If a debit fails, Crewpay may try it again ' +
  'only after asking you. You confirm that you are allowed to authorize debits from this ' +
  'account.'

const USER_AGENT_MAX = 500

export interface MandateAcceptance {
  acceptedAt: DateTime
  ip: string
  userAgent: string | null
}

/** The acceptance of the request that saved the account (IP through TRUSTED_PROXIES) */
export function mandateAcceptance(client: {
  ip: string
  userAgent: string | null | undefined
}): MandateAcceptance {
  return {
    acceptedAt: DateTime.now().startOf('second'),
    ip: normalizeIp(client.ip),
    userAgent: client.userAgent ? client.userAgent.slice(0, USER_AGENT_MAX) : null,
  }
}

/** What Stripe records on the Mandate it creates with the SetupIntent */
export function mandateData(acceptance: MandateAcceptance) {
  return {
    customer_acceptance: {
      type: 'online' as const,
      online: {
        ip_address: acceptance.ip,
        // Stripe wants one for an online acceptance; a browser always sends one
        user_agent: acceptance.userAgent ?? 'unknown',
      },
    },
  } satisfies Stripe.SetupIntentCreateParams.MandateData
}

/** The local columns of the same record */
export function mandateColumns(acceptance: MandateAcceptance) {
  return {
    mandateVersion: MANDATE_VERSION,
    mandateAcceptedAt: acceptance.acceptedAt,
    mandateIp: acceptance.ip,
    mandateUserAgent: acceptance.userAgent,
  }
}
