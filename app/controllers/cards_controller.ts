import { randomUUID } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import limiter from '@adonisjs/limiter/services/main'
import { DomainError } from '#exceptions/domain_error'
import { addCardValidator } from '#validators/cards'
import { isPaymentMethodId } from '#actions/billing/list_cards'
import {
  cardAuthenticationUrl,
  cardName,
  finishCardAuthentication,
  setUpCard,
  type CardSetup,
} from '#actions/billing/add_card'
import { setDefaultCard } from '#actions/billing/set_default_card'
import { removeCard } from '#actions/billing/remove_card'
import { loadPaymentMethodsPage } from '#actions/billing/payment_methods_page'

/**
 * Card testing (trying stolen cards through the add-card form) shows up as a
 * run of refusals: five refused cards within an hour pause adding cards for
 * that employer for an hour. Successes do not reset the count.
 */
const refusedCardsLimiter = () =>
  limiter.use({ requests: 5, duration: '1 hour', blockDuration: '1 hour' })

/**
 * Employers' saved cards. Stripe holds the cards; Crewpay keeps only the
 * customer id and which card is the default. Refusals (declines, Stripe
 * unreachable) come back to this page as a message; unknown cards are 404.
 */
export default class CardsController {
  async index({ auth, view }: HttpContext) {
    return view.render('pages/cards/index', await loadPaymentMethodsPage(auth.getUserOrFail()))
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
      let setup: CardSetup
      try {
        setup = await setUpCard(employer, input.payment_method, input.form_token ?? randomUUID(), {
          interactive: true,
        })
      } catch (error) {
        if (error instanceof DomainError && error.kind === 'declined') {
          await refusals.increment(refusalsKey)
        }
        throw error
      }
      this.#flashSetup(session, setup)
    })
  }

  /**
   * "Confirm with your bank": the bank's authentication page of a card
   * waiting for it (a link, not a form: the page is on another site)
   */
  async authenticate({ auth, params, response }: HttpContext) {
    const url = await cardAuthenticationUrl(auth.getUserOrFail(), String(params.setupIntent ?? ''))
    return response.redirect(url)
  }

  /** Back from the bank's page: Stripe says whether the card is saved */
  async authenticated({ auth, request, response, session }: HttpContext) {
    const employer = auth.getUserOrFail()
    const setupIntentId = String(request.qs().setup_intent ?? '')
    try {
      this.#flashSetup(session, await finishCardAuthentication(employer, setupIntentId))
    } catch (error) {
      if (!(error instanceof DomainError) || ['not_found', 'forbidden'].includes(error.kind)) {
        throw error
      }
      if (error.kind === 'declined') {
        await refusedCardsLimiter().increment(`add_card_refusals:${employer.id}`)
      }
      session.flash('error', error.message)
    }
    return response.redirect('/cards')
  }

  #flashSetup(session: HttpContext['session'], setup: CardSetup) {
    if (setup.kind === 'authenticate') {
      // The page shows a link to the bank's page (a redirect from a form post
      // to another site would be blocked by our form-action CSP)
      session.flash('cardAuthentication', {
        setupIntentId: setup.setupIntentId,
        cardName: setup.cardName,
      })
      return
    }
    const card = setup.card
    session.flash(
      'success',
      card.isDefault ? `${cardName(card)} saved as your default card.` : `${cardName(card)} saved.`
    )
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
      throw DomainError.notFound('This card is not one of your saved cards.')
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
        !(error instanceof DomainError) ||
        error.kind === 'forbidden' ||
        error.kind === 'not_found' ||
        request.accepts(['html', 'json']) === 'json'
      ) {
        throw error
      }
      session.flash('error', error.message)
    }
    return response.redirect('/cards')
  }
}
