import { randomUUID } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import { DomainError } from '#exceptions/domain_error'
import { pageOf } from '#validators/pagination'
import { serviceSearchValidator } from '#validators/services'
import { visibleServicesQuery } from '#actions/services/visible_services'
import { MAX_SERVICES_PAGE, searchServices } from '#actions/services/search_services'
import { isRecordId } from '#services/record_id'
import { paymentChoicesFor } from '#actions/billing/payment_methods'
import { serviceView } from '#actions/services/service_view'
import { toDecimalText } from '#money/amounts'
import { CURRENCIES } from '#money/currencies'

const FILTERS = ['q', 'currency', 'min', 'max'] as const

/**
 * Public listing: only services that can be ordered now, i.e. active and
 * offered by a contractor whose Stripe account can take charges; searched
 * and filtered by ?q=, ?currency=, ?min=, ?max=.
 */
export default class ServicesController {
  async index({ request, response, view }: HttpContext) {
    // A form sends its empty fields too: an empty filter is no filter
    const asked: Record<string, unknown> = {}
    for (const name of FILTERS) {
      const value: unknown = request.qs()[name]
      // Anything but text (?q[]=…) is kept, for the validator to refuse
      if (value !== undefined && (typeof value !== 'string' || value.trim() !== '')) {
        asked[name] = value
      }
    }
    const filterForm = {
      // What the form shows back, as text whatever was sent
      values: Object.fromEntries(
        Object.entries(asked).map(([name, value]) => [name, String(value)])
      ),
      currencies: Object.values(CURRENCIES).map((currency) => ({
        code: currency.code,
        label: `${currency.code.toUpperCase()} · ${currency.name}`,
      })),
    }

    const [invalid, filters] = await serviceSearchValidator.tryValidate(asked)
    const errors: Record<string, string[]> = {}
    for (const { field, message } of (invalid?.messages ?? []) as {
      field: string
      message: string
    }[]) {
      ;(errors[field] ??= []).push(message)
    }
    if (
      !invalid &&
      filters.min !== undefined &&
      filters.max !== undefined &&
      filters.min > filters.max
    ) {
      errors.max = ['The highest price must not be below the lowest price.']
    }
    if (invalid || Object.keys(errors).length > 0) {
      response.status(422)
      return view.render('pages/services/index', {
        filterForm,
        errors,
        services: [],
        pagination: null,
      })
    }

    const page = await pageOf(request.qs())
    const found = await searchServices(filters!, page)
    const kept = Object.fromEntries(
      FILTERS.filter((name) => filters![name] !== undefined).map((name) => [
        name,
        name === 'min' || name === 'max'
          ? toDecimalText(filters![name]!, filters!.currency!)
          : String(filters![name]),
      ])
    )
    const pageUrl = (target: number) =>
      `/services?${new URLSearchParams({ ...kept, page: String(target) }).toString()}`
    return view.render('pages/services/index', {
      filterForm,
      errors: {},
      filtered: Object.keys(kept).length > 0,
      services: found.services.map(serviceView),
      pagination: {
        currentPage: found.currentPage,
        lastPage: found.lastPage,
        total: found.total,
        truncated: found.truncated,
        beyondLimit: page > MAX_SERVICES_PAGE,
        previousUrl:
          found.currentPage > 1 ? pageUrl(Math.min(found.currentPage - 1, found.lastPage)) : null,
        nextUrl: found.currentPage < found.lastPage ? pageUrl(found.currentPage + 1) : null,
        firstUrl: pageUrl(1),
      },
    })
  }

  async show({ params, auth, view }: HttpContext) {
    const service = isRecordId(params.id)
      ? await visibleServicesQuery().where('id', params.id).preload('contractor').first()
      : null
    if (!service) {
      throw DomainError.notFound('Service not found.')
    }

    const user = auth.user
    const canOrder = user?.role === 'employer'
    // Cards, and verified bank accounts when the service is priced in US dollars
    const methods = user && canOrder ? await paymentChoicesFor(user, service.currency) : null

    return view.render('pages/services/show', {
      formToken: randomUUID(),
      service: serviceView(service),
      canOrder,
      methods,
      cardsProblem: methods?.problem ?? null,
    })
  }
}
