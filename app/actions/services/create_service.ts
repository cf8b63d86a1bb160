import type User from '#models/user'
import Service from '#models/service'
import { DomainError } from '#exceptions/domain_error'

export interface CreateServiceInput {
  title: string
  description: string
  /** Minor units of `currency`, as the validator read it (at least Stripe's minimum) */
  price: number
  currency: string
}

/**
 * A contractor offers a service. It is listed once the contractor's account
 * can take charges.
 */
export async function createService(contractor: User, input: CreateServiceInput) {
  if (!contractor.isContractor) {
    throw DomainError.forbidden('Only contractors offer services.')
  }
  return Service.create({
    contractorId: contractor.id,
    title: input.title,
    description: input.description,
    price: input.price,
    currency: input.currency,
    active: true,
  })
}
