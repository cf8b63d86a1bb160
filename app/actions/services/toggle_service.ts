import type User from '#models/user'
import Service from '#models/service'
import { DomainError } from '#exceptions/domain_error'
import { isRecordId } from '#services/record_id'

/** The contractor's own service; 404 for anybody else's, a deleted one or an unknown id */
export async function findOwnService(contractor: User, serviceId: unknown) {
  const service = isRecordId(serviceId)
    ? await Service.query()
        .where('id', serviceId)
        .where('contractorId', contractor.id)
        .whereNull('deletedAt')
        .first()
    : null
  if (!service) {
    throw DomainError.notFound('Service not found.')
  }
  return service
}

/**
 * Takes a service off the listing or puts it back. `active` is the state the
 * form asked for (so a double click does not flip it back); without it the
 * state flips. Orders already placed are not affected; a deactivated service
 * cannot be ordered.
 */
export async function toggleService(contractor: User, serviceId: unknown, active?: boolean) {
  const service = await findOwnService(contractor, serviceId)
  service.active = active ?? !service.active
  await service.save()
  return service
}
