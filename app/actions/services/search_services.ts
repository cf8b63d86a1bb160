import { visibleServicesQuery } from '#actions/services/visible_services'

export interface ServiceFilters {
  /** Words to find in the title, the contractor's name or the description */
  q?: string
  currency?: string
  /** Price bounds, minor units of `currency` */
  min?: number
  max?: number
}

export const SERVICES_PER_PAGE = 12

/**
 * Pages beyond this are not served (offset pagination is bounded): past 600
 * results, narrowing the search finds things faster than paging.
 */
export const MAX_SERVICES_PAGE = 50

/** At most this many words of a query are used */
const MAX_WORDS = 8

/**
 * The words of a query as a prefix tsquery ("kitch reno" → 'kitch:* &
 * reno:*'): letters and digits only, so nothing the user types is tsquery
 * syntax; the text is passed as a bound parameter.
 */
export function searchQueryOf(text: string | undefined): string | null {
  const words = (text ?? '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  if (words.length === 0) {
    return null
  }
  return words
    .slice(0, MAX_WORDS)
    .map((word) => `${word}:*`)
    .join(' & ')
}

/**
 * A page of the public listing: services that can be ordered now, matching
 * every word of `q` (best matches first: title, then contractor, then
 * description), in `currency` between `min` and `max`; newest first
 * otherwise. `total` counts up to the last page served.
 */
export async function searchServices(filters: ServiceFilters, page: number) {
  const query = visibleServicesQuery()
  const tsquery = searchQueryOf(filters.q)
  if (tsquery) {
    query.whereRaw(`search_document @@ to_tsquery('simple', ?)`, [tsquery])
  }
  if (filters.currency) {
    query.where('currency', filters.currency)
    if (filters.min !== undefined) {
      query.where('price', '>=', filters.min)
    }
    if (filters.max !== undefined) {
      query.where('price', '<=', filters.max)
    }
  }

  const cap = MAX_SERVICES_PAGE * SERVICES_PER_PAGE
  const matching = await query
    .clone()
    .select('id')
    .limit(cap + 1)
  const total = Math.min(matching.length, cap)
  const lastPage = Math.max(1, Math.ceil(total / SERVICES_PER_PAGE))
  const truncated = matching.length > cap

  const currentPage = Math.min(page, MAX_SERVICES_PAGE)
  if (tsquery) {
    query.orderByRaw(`ts_rank(search_document, to_tsquery('simple', ?)) DESC`, [tsquery])
  }
  const services =
    page > MAX_SERVICES_PAGE
      ? []
      : await query
          .preload('contractor')
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .offset((currentPage - 1) * SERVICES_PER_PAGE)
          .limit(SERVICES_PER_PAGE)

  return { services, total, currentPage: page, lastPage, truncated }
}
