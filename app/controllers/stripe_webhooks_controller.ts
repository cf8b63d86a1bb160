import type { HttpContext } from '@adonisjs/core/http'
import {
  InvalidSignatureError,
  malformedEvent,
  receiveStripeEvent,
  verifyStripeEvent,
} from '#actions/stripe_events/receive_event'

/**
 * POST /stripe/webhook: platform and Connect events. Verified by signature
 * (no CSRF), checked for shape, stored once with a job to apply it, answered
 * at once: Stripe never waits for (or retries because of) our own processing.
 */
export default class StripeWebhooksController {
  async store({ request, response }: HttpContext) {
    const rawBody = request.raw() ?? ''
    let event
    try {
      event = verifyStripeEvent(rawBody, request.header('stripe-signature'))
    } catch (error) {
      if (error instanceof InvalidSignatureError) {
        return response.badRequest({ error: error.message })
      }
      return response.badRequest({ error: 'Malformed event' })
    }
    // Signed but unusable (no id, no object): refused, nothing stored
    const malformed = malformedEvent(event)
    if (malformed) {
      return response.badRequest({ error: `Malformed event: ${malformed}` })
    }
    const { duplicate } = await receiveStripeEvent(event, rawBody)
    return response.ok({ received: true, duplicate })
  }
}
