import type Service from '#models/service'
import { formatAmount } from '#money/amounts'

/** What the pages show of a service; amounts are formatted by the money module only */
export function serviceView(service: Service) {
  return {
    id: service.id,
    title: service.title,
    description: service.description,
    excerpt:
      service.description.length > 180
        ? `${service.description.slice(0, 177).trimEnd()}…`
        : service.description,
    priceText: formatAmount(service.price, service.currency),
    currency: service.currency.toUpperCase(),
    active: service.active,
    contractorId: service.contractorId,
    contractorName: service.contractor?.fullName ?? null,
  }
}
