import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import CartItem from '#models/cart_item'
import Service from '#models/service'
import UserProfile from '#models/user_profile'
import { DomainError } from '#exceptions/domain_error'
import { formatAmount } from '#money/amounts'
import { canTakeOrders } from '#actions/orders/place_order'

export interface CartLine {
  item: CartItem
  service: Service
  priceText: string
  /** Why it cannot be checked out (null: it can) */
  unavailable: string | null
}

export interface CartGroup {
  contractorId: number
  contractorName: string
  lines: CartLine[]
}

export interface Cart {
  groups: CartGroup[]
  lines: CartLine[]
  /** One per currency in the cart */
  totals: { currency: string; amount: number; text: string }[]
  /** Why the cart cannot be checked out as it is (null: it can) */
  problem: string | null
}

/** The employer's cart, grouped by contractor, with what stops a checkout */
export async function loadCart(employer: User): Promise<Cart> {
  const items = await CartItem.query()
    .where('employerId', employer.id)
    .preload('service', (query) => query.preload('contractor'))
    .orderBy('id')
  const profiles = await UserProfile.query().whereIn(
    'userId',
    items.map((item) => item.service.contractorId)
  )
  const lines = items.map((item) => {
    const profile = profiles.find((candidate) => candidate.userId === item.service.contractorId)
    const unavailable = !item.service.active
      ? 'No longer offered'
      : !canTakeOrders(profile ?? null)
        ? 'The contractor cannot take orders right now'
        : null
    return {
      item,
      service: item.service,
      priceText: formatAmount(item.service.price, item.service.currency),
      unavailable,
    }
  })
  const groups: CartGroup[] = []
  for (const line of lines) {
    let group = groups.find((candidate) => candidate.contractorId === line.service.contractorId)
    if (!group) {
      group = {
        contractorId: line.service.contractorId,
        contractorName: line.service.contractor.fullName,
        lines: [],
      }
      groups.push(group)
    }
    group.lines.push(line)
  }
  const currencies = [...new Set(lines.map((line) => line.service.currency))]
  const totals = currencies.map((currency) => {
    const amount = lines
      .filter((line) => line.service.currency === currency)
      .reduce((sum, line) => sum + line.service.price, 0)
    return { currency, amount, text: formatAmount(amount, currency) }
  })
  let problem: string | null = null
  if (lines.length === 0) {
    problem = 'Your cart is empty.'
  } else if (lines.some((line) => line.unavailable)) {
    problem = 'Some services are no longer available: remove them to check out.'
  } else if (currencies.length > 1) {
    problem =
      `An order is paid in one currency, and your cart has ${currencies
        .map((code) => code.toUpperCase())
        .join(' and ')} services: ` +
      'remove the ones in the other currency (order them separately).'
  }
  return { groups, lines, totals, problem }
}

/** Adds a service that can be ordered now; adding it again changes nothing */
export async function addToCart(employer: User, serviceId: number) {
  const service = await Service.query().where('id', serviceId).where('active', true).first()
  if (!service) {
    throw DomainError.notFound('This service is not available.')
  }
  if (!canTakeOrders(await UserProfile.findBy('userId', service.contractorId))) {
    throw DomainError.conflict('This contractor cannot take orders right now.')
  }
  await db
    .table('cart_items')
    .insert({ employer_id: employer.id, service_id: service.id, created_at: new Date() })
    .onConflict(['employer_id', 'service_id'])
    .ignore()
  return service
}

/** Removes one of the employer's own cart items (anyone else's is not found) */
export async function removeFromCart(employer: User, itemId: number) {
  const removed = await db
    .from('cart_items')
    .where('id', itemId)
    .where('employer_id', employer.id)
    .delete()
  if (Number(removed) === 0) {
    throw DomainError.notFound('This item is not in your cart.')
  }
}
