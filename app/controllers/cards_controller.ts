import { randomUUID } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import limiter from '@adonisjs/limiter/services/main'
import UserProfile from '#models/user_profile'
import { ActionError } from '#exceptions/action_error'
import { addCardValidator } from '#validators/cards'
import { ensureStripeCustomer } from '#actions/billing/ensure_customer'
import { isPaymentMethodId, listCards, type SavedCard } from '#actions/billing/list_cards'
import { addCard } from '#actions/billing/add_card'
import { setDefaultCard } from '#actions/billing/set_default_card'
import { removeCard } from '#actions/billing/remove_card'
import { stripeConfig } from '#stripe/client'
import { isStripeError, reportStripeError } from '#stripe/errors'

/**
 * Stripe's test PaymentMethods offered on the page in sandbox mode (no card
 * number is ever typed into Crewpay). Any other test PaymentMethod id is
 * accepted by the endpoint too.
 */
export const TEST_CARD_CHOICES = [
  { id: 'pm_card_visa', label: 'Visa ···· 4242', outcome: 'succeeds' },
  { id: 'pm_card_mastercard', label: 'Mastercard ···· 4444', outcome: 'succeeds' },
  {
    id: 'pm_card_bypassPending',
    label: 'Visa ···· 0077',
    outcome: 'succeeds; the money is available at once',
  },
  { id: 'pm_card_visa_chargeDeclined', label: 'Visa ···· 0002', outcome: 'declined' },
  {
    id: 'pm_card_visa_chargeDeclinedInsufficientFunds',
    label: 'Visa ···· 9995',
    outcome: 'declined: insufficient funds',
  },
  {
    id: 'pm_card_chargeDeclinedExpiredCard',
    label: 'Visa ···· 0069',
    outcome: 'declined: expired card',
  },
  {
    id: 'pm_card_chargeCustomerFail',
    label: 'Visa ···· 0341',
    outcome: 'is saved, but every payment with it is declined',
  },
  {
    id: 'pm_card_authenticationRequired',
    label: 'Visa ···· 3184',
    outcome: 'requires 3-D Secure authentication',
  },
]

/**
 * Card testing (trying stolen cards through the add-card form) shows up as a
 * run of refusals: five refused cards within an hour pause adding cards for
 * that employer for an hour. Successes do not reset the count.
 */
const refusedCardsLimiter = () =>
  limiter.use({ requests: 5, duration: '1 hour', blockDuration: '1 hour' })

function cardName(card: SavedCard) {
  return `${card.brandName} ending ${card.last4}`
}

/**
 * Employers' saved cards. Stripe holds the cards; Crewpay keeps only the
 * customer id and which card is the default. Refusals (declines, Stripe
 * unreachable) come back to this page as a message; unknown cards are 404.
 */
export default class CardsController {
  async index({ auth, view }: HttpContext) {
    const employer = auth.getUserOrFail()
    let cards: SavedCard[] = []
    let problem: string | null = null
    try {
      const customerId = await ensureStripeCustomer(employer)
      const profile = await UserProfile.findByOrFail('userId', employer.id)
      cards = await listCards(customerId, profile.defaultPaymentMethodId)
    } catch (error) {
      if (!isStripeError(error)) {
        throw error
      }
      reportStripeError(error, { userId: employer.id, operation: 'list_cards' })
      problem =
        'Your saved cards cannot be shown right now: our payment provider did not answer. ' +
        'Please try again in a moment.'
    }

    const config = stripeConfig()
    const usesElements = config.mode === 'stripe'
    return view.render('pages/cards/index', {
      cards,
      problem,
      formToken: randomUUID(),
      usesElements,
      publishableKey: usesElements ? config.publishableKey : null,
      testCards: usesElements ? [] : TEST_CARD_CHOICES,
    })
  }

  async store({ auth, request, response, session }: HttpContext) {
    const employer = auth.getUserOrFail()
    const [invalid, input] = await addCardValidator.tryValidate(request.all())
    if (invalid) {
      if (request.accepts(['html', 'json']) === 'json') {
        throw invalid
      }
      // Never flash the input back: a card number pasted here must not be kept
      session.flashValidationErrors(invalid, false)
      return response.redirect('/cards')
    }

    const refusals = refusedCardsLimiter()
    const refusalsKey = `add_card_refusals:${employer.id}`
    if ((await refusals.remaining(refusalsKey)) <= 0) {
      const minutes = Math.max(1, Math.ceil((await refusals.availableIn(refusalsKey)) / 60))
      session.flash(
        'error',
        `Too many cards were declined. You can add a card again in ${minutes} minutes.`
      )
      return response.redirect('/cards')
    }

    return this.#backToCards({ request, response, session }, async () => {
      let card: SavedCard
      try {
        card = await addCard(employer, input.payment_method, input.form_token ?? randomUUID())
      } catch (error) {
        if (error instanceof ActionError && error.status === 402) {
          await refusals.increment(refusalsKey)
        }
        throw error
      }
      session.flash(
        'success',
        card.isDefault
          ? `${cardName(card)} saved as your default card.`
          : `${cardName(card)} saved.`
      )
    })
  }

  async makeDefault(ctx: HttpContext) {
    const employer = ctx.auth.getUserOrFail()
    const paymentMethodId = this.#cardId(ctx)
    return this.#backToCards(ctx, async () => {
      const card = await setDefaultCard(employer, paymentMethodId)
      ctx.session.flash('success', `${cardName(card)} is now your default card.`)
    })
  }

  async destroy(ctx: HttpContext) {
    const employer = ctx.auth.getUserOrFail()
    const paymentMethodId = this.#cardId(ctx)
    return this.#backToCards(ctx, async () => {
      const { removed, newDefault } = await removeCard(employer, paymentMethodId)
      ctx.session.flash(
        'success',
        newDefault
          ? `${cardName(removed)} removed. ${cardName(newDefault)} is now your default card.`
          : `${cardName(removed)} removed.`
      )
    })
  }

  /** The :id of the URL when it looks like a PaymentMethod id; 404 before asking Stripe otherwise */
  #cardId({ params }: HttpContext): string {
    const id = String(params.id ?? '')
    if (!isPaymentMethodId(id)) {
      throw new ActionError('This card is not one of your saved cards.', 404)
    }
    return id
  }

  /**
   * Runs the operation and comes back to /cards, with the refusal as a
   * message when there is one (403/404 keep their pages, JSON its status).
   */
  async #backToCards(
    { request, response, session }: Pick<HttpContext, 'request' | 'response' | 'session'>,
    operation: () => Promise<void>
  ) {
    try {
      await operation()
    } catch (error) {
      if (
        !(error instanceof ActionError) ||
        error.status === 403 ||
        error.status === 404 ||
        request.accepts(['html', 'json']) === 'json'
      ) {
        throw error
      }
      session.flash('error', error.message)
    }
    return response.redirect('/cards')
  }
}
