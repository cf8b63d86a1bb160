import { createHash, randomBytes } from 'node:crypto'
import encryption from '@adonisjs/core/services/encryption'
import type PaymentRequest from '#models/payment_request'

/*
| A request's link, /pay/<token>: 32 random bytes (256 bits), base64url.
| The request keeps the token's SHA-256 (a link is found by it, as password
| reset links are) and the token encrypted with the app key, so the
| contractor's page can show the link again and resend it; a copy of the
| database alone gives no usable link.
*/

const PURPOSE = 'payment_request_link'

/** What a token looks like: anything else is a 404 before any query */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

export function newRequestToken() {
  const token = randomBytes(32).toString('base64url')
  return { token, tokenHash: hashRequestToken(token), tokenEncrypted: encryptRequestToken(token) }
}

export function hashRequestToken(token: string) {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

export function isRequestTokenShape(token: string) {
  return TOKEN_SHAPE.test(token)
}

export function encryptRequestToken(token: string) {
  return encryption.encrypt(token, undefined, PURPOSE)
}

/** The token back from its encrypted copy (null when the app key changed) */
export function decryptRequestToken(encrypted: string) {
  return encryption.decrypt<string>(encrypted, PURPOSE)
}

/** The path of a request's link, or null when its token cannot be read (another app key) */
export function requestLinkPath(request: Pick<PaymentRequest, 'tokenEncrypted'>) {
  const token = decryptRequestToken(request.tokenEncrypted)
  return token ? `/pay/${token}` : null
}
