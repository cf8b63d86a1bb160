import type User from '#models/user'
import Service from '#models/service'
import { ActionError } from '#exceptions/action_error'
import { AmountError, parseAmount } from '#money/amounts'
import { getCurrency, isSupportedCurrency } from '#money/currencies'

export interface CreateServiceInput {
  title: string
  description: string
  /** Decimal text in `currency`, e.g. "120.00" or "1,250" */
  price: string
  currency: string
}

/**
 * A contractor offers a service. The price is stored in minor units of its
 * currency. It is listed once the contractor's account can take charges.
 */
export async function createService(contractor: User, input: CreateServiceInput) {
  if (!contractor.isContractor) {
    throw new ActionError('Only contractors offer services.', 403)
  }
  const currency = input.currency.trim().toLowerCase()
  if (!isSupportedCurrency(currency)) {
    throw new ActionError(`${input.currency} is not a currency Crewpay takes payments in.`, 422)
  }
  let price: number
  try {
    price = parseAmount(input.price, currency)
  } catch (error) {
    if (error instanceof AmountError) {
      throw new ActionError(error.message, 422)
    }
    throw error
  }
  if (price < getCurrency(currency).minimumCharge) {
    throw new ActionError('The price is below the minimum Stripe accepts for this currency.', 422)
  }
  return Service.create({
    contractorId: contractor.id,
    title: input.title.trim(),
    description: input.description.trim(),
    price,
    currency,
    active: true,
  })
}
