import type { HttpContext } from '@adonisjs/core/http'
import Service from '#models/service'
import UserProfile from '#models/user_profile'
import { createServiceValidator } from '#validators/services'
import { createService } from '#actions/services/create_service'
import { toggleService } from '#actions/services/toggle_service'
import { canTakeOrders } from '#actions/orders/place_order'
import { formatAmount } from '#money/amounts'
import { CURRENCIES } from '#money/currencies'
import { serviceView } from '#actions/services/service_view'

/** A contractor's own services: offer one, take one off the listing, put it back */
export default class MyServicesController {
  async index({ auth, view }: HttpContext) {
    const contractor = auth.getUserOrFail()
    const services = await Service.query()
      .where('contractorId', contractor.id)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
    const profile = await UserProfile.findBy('userId', contractor.id)
    return view.render('pages/services/mine', {
      services: services.map(serviceView),
      listed: canTakeOrders(profile),
      currencies: Object.values(CURRENCIES).map((currency) => ({
        code: currency.code,
        label: `${currency.code.toUpperCase()} · ${currency.name}`,
      })),
    })
  }

  async store({ auth, request, response, session }: HttpContext) {
    const contractor = auth.getUserOrFail()
    const [invalid, input] = await createServiceValidator.tryValidate(request.all())
    if (invalid) {
      if (request.accepts(['html', 'json']) === 'json') {
        throw invalid
      }
      session.flashValidationErrors(invalid)
      return response.redirect('/my/services')
    }
    const service = await createService(contractor, input)
    const profile = await UserProfile.findBy('userId', contractor.id)
    const price = formatAmount(service.price, service.currency)
    session.flash(
      'success',
      canTakeOrders(profile)
        ? `“${service.title}” is listed at ${price}.`
        : `“${service.title}” is saved at ${price}. It will be listed once your Stripe account ` +
            'can take payments (finish onboarding).'
    )
    return response.redirect('/my/services')
  }

  async toggle({ auth, params, request, response, session }: HttpContext) {
    const contractor = auth.getUserOrFail()
    const wanted = request.input('active')
    const service = await toggleService(
      contractor,
      params.id,
      wanted === '1' ? true : wanted === '0' ? false : undefined
    )
    session.flash(
      'success',
      service.active
        ? `“${service.title}” is offered again.`
        : `“${service.title}” is no longer offered.`
    )
    return response.redirect('/my/services')
  }
}
