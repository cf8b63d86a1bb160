import type { HttpContext } from '@adonisjs/core/http'
import { DomainError } from '#exceptions/domain_error'
import { findPublicContractor } from '#actions/services/contractor_profile'
import { visibleServicesQuery } from '#actions/services/visible_services'
import { serviceView } from '#actions/services/service_view'

/** A contractor's public page: only contractors who can take orders have one */
export default class ContractorsController {
  async show({ params, view }: HttpContext) {
    const contractor = await findPublicContractor(params.id)
    if (!contractor) {
      throw DomainError.notFound('Contractor not found.')
    }
    const services = await visibleServicesQuery()
      .where('contractorId', contractor.id)
      .preload('contractor')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
    return view.render('pages/contractors/show', {
      contractor: {
        id: contractor.id,
        name: contractor.fullName,
        memberSince: contractor.createdAt.toUTC().toFormat('LLLL yyyy'),
      },
      services: services.map(serviceView),
    })
  }
}
