import { randomUUID } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import UserProfile from '#models/user_profile'
import { ActionError } from '#exceptions/action_error'
import { pageOf } from '#validators/pagination'
import { visibleServicesQuery } from '#actions/services/visible_services'
import { isRecordId } from '#services/record_id'
import { listCards, type SavedCard } from '#actions/billing/list_cards'
import { serviceView } from '#actions/services/service_view'
import { isStripeError, reportStripeError } from '#stripe/errors'

const PER_PAGE = 12

/**
 * Public listing: only services that can be ordered now, i.e. active and
 * offered by a contractor whose Stripe account can take charges.
 */
export default class ServicesController {
  async index({ request, view }: HttpContext) {
    const page = await pageOf(request.qs())
    const services = await visibleServicesQuery()
      .preload('contractor')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .paginate(page, PER_PAGE)
    services.baseUrl('/services')
    return view.render('pages/services/index', {
      services: services.all().map(serviceView),
      pagination: {
        currentPage: services.currentPage,
        lastPage: services.lastPage,
        total: services.total,
        previousUrl: services.currentPage > 1 ? services.getPreviousPageUrl() : null,
        nextUrl: services.hasMorePages ? services.getNextPageUrl() : null,
      },
    })
  }

  async show({ params, auth, view }: HttpContext) {
    const service = isRecordId(params.id)
      ? await visibleServicesQuery().where('id', params.id).preload('contractor').first()
      : null
    if (!service) {
      throw new ActionError('Service not found.', 404)
    }

    const user = auth.user
    const canOrder = user?.role === 'employer'
    let cards: SavedCard[] = []
    let cardsProblem: string | null = null
    if (user && canOrder) {
      const profile = await UserProfile.findByOrFail('userId', user.id)
      if (profile.stripeId) {
        try {
          cards = await listCards(profile.stripeId, profile.defaultPaymentMethodId)
        } catch (error) {
          if (!isStripeError(error)) {
            throw error
          }
          reportStripeError(error, { userId: user.id, operation: 'list_cards' })
          cardsProblem =
            'Your saved cards cannot be shown right now: our payment provider did not answer. ' +
            'Please try again in a moment.'
        }
      }
    }

    return view.render('pages/services/show', {
      formToken: randomUUID(),
      service: serviceView(service),
      canOrder,
      cards,
      cardsProblem,
      // The default card, or the newest one when none is marked default
      selectedCardId: (cards.find((card) => card.isDefault) ?? cards[0])?.id ?? null,
    })
  }
}
