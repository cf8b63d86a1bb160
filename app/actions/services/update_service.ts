import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import Service from '#models/service'
import { DomainError } from '#exceptions/domain_error'
import type { CreateServiceInput } from '#actions/services/create_service'
import { findOwnService } from '#actions/services/toggle_service'
import { serviceHasOpenOrders } from '#actions/services/service_orders'

/**
 * A contractor changes their service. Orders already placed keep the price
 * and title they were placed at (they are copied onto the order).
 */
export async function updateService(
  contractor: User,
  serviceId: unknown,
  input: CreateServiceInput
) {
  const service = await findOwnService(contractor, serviceId)
  service.merge({
    title: input.title,
    description: input.description,
    price: input.price,
    currency: input.currency,
  })
  await service.save()
  return service
}

/**
 * A contractor deletes their service: refused while an order in progress
 * uses it. The row stays (finished orders point at it and show its title),
 * marked deleted and inactive, so it can never be ordered or shown again.
 * The service row is locked so two deletions do not race.
 */
export async function deleteService(contractor: User, serviceId: unknown) {
  const own = await findOwnService(contractor, serviceId)
  return db.transaction(async (trx) => {
    const service = await Service.query({ client: trx })
      .where('id', own.id)
      .whereNull('deletedAt')
      .forUpdate()
      .first()
    if (!service) {
      throw DomainError.notFound('Service not found.')
    }
    if (await serviceHasOpenOrders(service.id)) {
      throw DomainError.conflict(
        `“${service.title}” cannot be deleted while an order for it is in progress. ` +
          'Finish or cancel that order first; to stop new orders now, deactivate the service.'
      )
    }
    service.active = false
    service.deletedAt = DateTime.now()
    await service.useTransaction(trx).save()
    return service
  })
}
