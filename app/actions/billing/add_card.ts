import Stripe from 'stripe'
import logger from '@adonisjs/core/services/logger'
import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { appUrl } from '#config/app'
import { DomainError } from '#exceptions/domain_error'
import { requireStripeCustomer } from '#actions/billing/ensure_customer'
import { isPaymentMethodId, toSavedCard, type SavedCard } from '#actions/billing/list_cards'
import { setDefaultCard } from '#actions/billing/set_default_card'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { describeStripeError, isStripeError, reportStripeError } from '#stripe/errors'

/** Where Stripe sends the employer back after authenticating a card (3-D Secure) */
export const CARD_AUTHENTICATION_RETURN_PATH = '/cards/authenticated'

/** A setup waiting for the employer's bank: where to send them, and which card it is */
export interface CardAuthentication {
  setupIntentId: string
  /** "Visa ending 3184" */
  cardName: string
}

export type CardSetup =
  { kind: 'saved'; card: SavedCard } | ({ kind: 'authenticate' } & CardAuthentication)

export function cardName(card: Pick<SavedCard, 'brandName' | 'last4'>) {
  return `${card.brandName} ending ${card.last4}`
}

/**
 * Saves a card for off-session payments through a SetupIntent confirmed on
 * the server: Stripe checks the card, and a declined card is not saved. Only
 * a PaymentMethod id ever reaches us (Stripe.js, or a test PaymentMethod in
 * sandbox mode). `formToken` comes from the form and the key also names the
 * PaymentMethod, so a double submit is one SetupIntent while the same form
 * sent again with another card (after a decline, say) is a new attempt. The
 * first card becomes the default.
 *
 * With `interactive`, the employer is at the page: a card whose bank asks
 * for authentication (3-D Secure) is confirmed with a return_url and comes
 * back as `authenticate`: the employer is sent to the bank's page (Stripe's
 * test page in sandbox mode) and back to CARD_AUTHENTICATION_RETURN_PATH.
 * Otherwise (the demo data, tests) such a card is refused.
 */
export async function setUpCard(
  employer: User,
  paymentMethodId: string,
  formToken: string,
  options: { interactive: boolean }
): Promise<CardSetup> {
  if (!isPaymentMethodId(paymentMethodId)) {
    throw DomainError.invalid('This is not a card reference from Stripe.')
  }

  const customerId = await requireStripeCustomer(employer)

  let setupIntent
  try {
    setupIntent = await stripe().setupIntents.create(
      {
        customer: customerId,
        payment_method: paymentMethodId,
        allowed_payment_method_types: ['card'],
        usage: 'off_session',
        confirm: true,
        ...(options.interactive
          ? { return_url: new URL(CARD_AUTHENTICATION_RETURN_PATH, appUrl).href }
          : {}),
        expand: ['payment_method'],
      },
      {
        idempotencyKey: idempotencyKey(
          'user',
          employer,
          options.interactive ? 'add_card_interactive' : 'add_card',
          formToken,
          paymentMethodId
        ),
      }
    )
  } catch (error) {
    const described = reportStripeError(error, { userId: employer.id, operation: 'add_card' })
    if (described.isCardError || described.isTransient) {
      throw new DomainError(described.isTransient ? 'unavailable' : 'declined', described.message)
    }
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      // An unknown id, another customer's card, a detached card used again
      throw DomainError.invalid(
        'This card could not be saved. Enter the card again or use another card.'
      )
    }
    throw DomainError.unavailable(describeStripeError(error).message)
  }

  const paymentMethod = setupIntent.payment_method
  if (setupIntent.status === 'requires_action' && options.interactive) {
    const card =
      paymentMethod && typeof paymentMethod !== 'string' ? toSavedCard(paymentMethod, null) : null
    return {
      kind: 'authenticate',
      setupIntentId: setupIntent.id,
      cardName: card ? cardName(card) : 'Your card',
    }
  }
  if (setupIntent.status !== 'succeeded') {
    // Nobody is at a browser to authenticate it
    await stripe()
      .setupIntents.cancel(setupIntent.id, undefined, {
        idempotencyKey: idempotencyKey('user', employer, 'cancel_setup', setupIntent.id),
      })
      .catch((error) => {
        reportStripeError(error, { userId: employer.id, operation: 'cancel_setup' })
      })
    throw DomainError.declined('This card needs authentication; use another card.')
  }
  if (!paymentMethod || typeof paymentMethod === 'string') {
    throw DomainError.declined('The card could not be saved.')
  }
  return { kind: 'saved', card: await makeFirstCardDefault(employer, paymentMethod) }
}

/** Saves a card where nobody can authenticate it (see setUpCard) */
export async function addCard(employer: User, paymentMethodId: string, formToken: string) {
  const setup = await setUpCard(employer, paymentMethodId, formToken, { interactive: false })
  if (setup.kind !== 'saved') {
    throw DomainError.declined('This card needs authentication; use another card.')
  }
  return setup.card
}

/** The first card saved becomes the default (Stripe's customer and locally) */
async function makeFirstCardDefault(employer: User, paymentMethod: Stripe.PaymentMethod) {
  const profile = await UserProfile.findByOrFail('userId', employer.id)
  if (profile.defaultPaymentMethodId) {
    return toSavedCard(paymentMethod, profile.defaultPaymentMethodId)
  }
  try {
    await setDefaultCard(employer, paymentMethod.id)
  } catch (error) {
    // The card is saved either way; it can be made the default from the list
    if (!(error instanceof DomainError)) {
      throw error
    }
    logger.warn(
      { userId: employer.id, reason: error.message },
      'The first card was saved but could not be made the default'
    )
    return toSavedCard(paymentMethod, null)
  }
  return toSavedCard(paymentMethod, paymentMethod.id)
}

/** One of the employer's own card SetupIntents (any other id is a 404) */
async function ownSetupIntent(employer: User, setupIntentId: string) {
  const profile = await UserProfile.findByOrFail('userId', employer.id)
  if (!/^seti_[A-Za-z0-9]{1,60}$/.test(setupIntentId) || !profile.stripeId) {
    throw DomainError.notFound('This card is not one of yours.')
  }
  let setupIntent: Stripe.SetupIntent
  try {
    setupIntent = await stripe().setupIntents.retrieve(setupIntentId, {
      expand: ['payment_method'],
    })
  } catch (error) {
    if (isStripeError(error) && error.code === 'resource_missing') {
      throw DomainError.notFound('This card is not one of yours.')
    }
    const described = reportStripeError(error, { userId: employer.id, operation: 'setup_intent' })
    throw DomainError.unavailable(described.message)
  }
  const owner =
    typeof setupIntent.customer === 'string' ? setupIntent.customer : setupIntent.customer?.id
  if (owner !== profile.stripeId || !setupIntent.payment_method_types.includes('card')) {
    throw DomainError.notFound('This card is not one of yours.')
  }
  return setupIntent
}

/**
 * The bank's authentication page for a card waiting for it (Stripe's
 * `next_action.redirect_to_url`), where the "Confirm with your bank" link
 * sends the employer.
 */
export async function cardAuthenticationUrl(employer: User, setupIntentId: string) {
  const setupIntent = await ownSetupIntent(employer, setupIntentId)
  const url = setupIntent.next_action?.redirect_to_url?.url
  if (setupIntent.status !== 'requires_action' || !url) {
    throw DomainError.conflict('This card is not waiting for authentication any more.')
  }
  return url
}

/**
 * The employer is back from the bank's page: the SetupIntent, read from
 * Stripe (never from the URL's redirect_status), says whether the card is
 * saved. A failed or abandoned authentication saves nothing.
 */
export async function finishCardAuthentication(
  employer: User,
  setupIntentId: string
): Promise<CardSetup> {
  const setupIntent = await ownSetupIntent(employer, setupIntentId)
  const paymentMethod = setupIntent.payment_method
  const card =
    paymentMethod && typeof paymentMethod !== 'string' ? toSavedCard(paymentMethod, null) : null
  switch (setupIntent.status) {
    case 'succeeded':
      if (!paymentMethod || typeof paymentMethod === 'string') {
        throw DomainError.declined('The card could not be saved.')
      }
      return { kind: 'saved', card: await makeFirstCardDefault(employer, paymentMethod) }
    case 'requires_action':
      return {
        kind: 'authenticate',
        setupIntentId: setupIntent.id,
        cardName: card ? cardName(card) : 'Your card',
      }
    default:
      throw DomainError.declined(
        'Your bank did not confirm this card, so it was not saved. Try again or use another card.'
      )
  }
}
