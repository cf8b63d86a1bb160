import type { HttpContext } from '@adonisjs/core/http'
import Service from '#models/service'
import UserProfile from '#models/user_profile'
import type User from '#models/user'
import { createServiceValidator } from '#validators/services'
import { createService } from '#actions/services/create_service'
import { findOwnService, toggleService } from '#actions/services/toggle_service'
import { deleteService, updateService } from '#actions/services/update_service'
import { listingStatus } from '#actions/services/listing_status'
import { formatAmount, toDecimalText } from '#money/amounts'
import { CURRENCIES } from '#money/currencies'
import { serviceView } from '#actions/services/service_view'
import { feePlanOf, describeFeePlan, hasOwnFeePlan } from '#actions/contractors/fee_plans'
import { platformFee } from '#money/fees'
import app from '@adonisjs/core/services/app'
import type { MarketplaceConfig } from '#config/marketplace'

function currencyChoices() {
  return Object.values(CURRENCIES).map((currency) => ({
    code: currency.code,
    label: `${currency.code.toUpperCase()} · ${currency.name}`,
  }))
}

async function profileOf(contractor: User) {
  return UserProfile.findBy('userId', contractor.id)
}

/** "is listed at $120.00", or "is saved at $120.00. It is not listed: <why>." */
function savedMessage(service: Service, profile: UserProfile | null) {
  const price = formatAmount(service.price, service.currency)
  const status = listingStatus(service, profile)
  return status.listed
    ? `“${service.title}” is listed at ${price}.`
    : `“${service.title}” is saved at ${price}. It is not listed: ${status.reasons.join('; ')}.`
}

/** A contractor's own services: offer, change, take off the listing, put back, delete */
export default class MyServicesController {
  async index({ auth, view }: HttpContext) {
    const contractor = auth.getUserOrFail()
    const services = await Service.query()
      .where('contractorId', contractor.id)
      .whereNull('deletedAt')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
    const profile = await profileOf(contractor)
    const accountStatus = listingStatus({ active: true }, profile)
    // The plan in force now: each order copies it, so a later change never alters an order
    const plan = feePlanOf(profile)
    return view.render('pages/services/mine', {
      services: services.map((service) => {
        const fee = platformFee(service.price, plan)
        return {
          ...serviceView(service),
          status: listingStatus(service, profile),
          feeText: formatAmount(fee, service.currency),
          receiveText: formatAmount(service.price - fee, service.currency),
        }
      }),
      feePlan: {
        text: describeFeePlan(plan, services[0]?.currency ?? 'usd'),
        own: hasOwnFeePlan(profile),
        processorFeePassedOn: app.config.get<MarketplaceConfig>('marketplace').stripeFeePassthrough,
      },
      accountListed: accountStatus.listed,
      currencies: currencyChoices(),
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
    session.flash('success', savedMessage(service, await profileOf(contractor)))
    return response.redirect('/my/services')
  }

  async edit({ auth, params, view }: HttpContext) {
    const contractor = auth.getUserOrFail()
    const service = await findOwnService(contractor, params.id)
    return view.render('pages/services/edit', {
      service: {
        ...serviceView(service),
        priceValue: toDecimalText(service.price, service.currency),
        currencyCode: service.currency,
        status: listingStatus(service, await profileOf(contractor)),
      },
      currencies: currencyChoices(),
    })
  }

  async update({ auth, params, request, response, session }: HttpContext) {
    const contractor = auth.getUserOrFail()
    // 404 before anything is validated: another contractor's id says nothing
    await findOwnService(contractor, params.id)
    const input = await request.validateUsing(createServiceValidator)
    const service = await updateService(contractor, params.id, input)
    session.flash('success', savedMessage(service, await profileOf(contractor)))
    return response.redirect('/my/services')
  }

  async destroy({ auth, params, response, session }: HttpContext) {
    const contractor = auth.getUserOrFail()
    const service = await deleteService(contractor, params.id)
    session.flash('success', `“${service.title}” is deleted.`)
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
    const status = listingStatus(service, await profileOf(contractor))
    session.flash(
      'success',
      service.active
        ? `“${service.title}” is offered again${status.listed ? '' : `, but not listed: ${status.reasons.join('; ')}`}.`
        : `“${service.title}” is no longer offered.`
    )
    return response.redirect('/my/services')
  }
}
