import { paramError, resourceMissing } from './errors.js'
import { int, intOrRange, str, type Spec } from './params.js'
import { lowerBound, type Rec, type Store } from './store.js'
import { type Obj, type Params } from './types.js'

/** Parameters every list endpoint accepts. */
export const LIST_PARAMS: Record<string, Spec> = {
  limit: int(),
  starting_after: str(),
  ending_before: str(),
  created: intOrRange(),
}

export type CreatedFilter = number | { gt?: number; gte?: number; lt?: number; lte?: number }

export function matchesCreated(created: number, filter: CreatedFilter | null | undefined) {
  if (filter === undefined || filter === null) {
    return true
  }
  if (typeof filter === 'number') {
    return created === filter
  }
  return (
    (filter.gt === undefined || created > filter.gt) &&
    (filter.gte === undefined || created >= filter.gte) &&
    (filter.lt === undefined || created < filter.lt) &&
    (filter.lte === undefined || created <= filter.lte)
  )
}

export interface PageOptions {
  store: Store
  url: string
  label: string
  render: (rec: Rec) => Obj
  filter?: (rec: Rec) => boolean
}

/**
 * Stripe list envelope, newest first. Walks the (already indexed) list from
 * the cursor position found by binary search, so a page costs O(log n + limit)
 * when no extra filter applies.
 */
export function paginate(items: readonly Rec[], params: Params, options: PageOptions): Obj {
  const limit: number = params.limit ?? 10
  if (limit < 1 || limit > 100) {
    throw paramError('Invalid limit: must be between 1 and 100', { param: 'limit' })
  }
  if (params.starting_after && params.ending_before) {
    throw paramError(
      'You may only specify one of these parameters: ending_before, starting_after.',
      { code: 'parameters_exclusive', param: 'ending_before' }
    )
  }
  const created = params.created as CreatedFilter | undefined
  const accept = (rec: Rec) =>
    !rec.deleted &&
    matchesCreated(rec.obj.created, created) &&
    (options.filter === undefined || options.filter(rec))

  // As Stripe: a cursor must be an object of this very list (another account's
  // object, or another customer's, is unknown here)
  const cursorSeq = (id: string, param: string) => {
    const rec = options.store.get(id)
    const position = rec ? lowerBound(items, rec.seq) : -1
    if (!rec || items[position] !== rec) {
      throw resourceMissing(options.label, id, param)
    }
    return rec.seq
  }

  const data: Obj[] = []
  let hasMore = false
  if (params.ending_before) {
    // Objects newer than the cursor, the `limit` closest to it, still newest first.
    const start = lowerBound(items, cursorSeq(params.ending_before, 'ending_before') + 1)
    const picked: Rec[] = []
    for (let i = start; i < items.length; i++) {
      if (!accept(items[i])) {
        continue
      }
      if (picked.length === limit) {
        hasMore = true
        break
      }
      picked.push(items[i])
    }
    for (let i = picked.length - 1; i >= 0; i--) {
      data.push(options.render(picked[i]))
    }
  } else {
    const end = params.starting_after
      ? lowerBound(items, cursorSeq(params.starting_after, 'starting_after'))
      : items.length
    for (let i = end - 1; i >= 0; i--) {
      if (!accept(items[i])) {
        continue
      }
      if (data.length === limit) {
        hasMore = true
        break
      }
      data.push(options.render(items[i]))
    }
  }
  return { object: 'list', data, has_more: hasMore, url: options.url }
}

/** Small embedded list (e.g. `charge.refunds`), newest first, like Stripe's sub-lists. */
export function embeddedList(items: readonly Rec[], url: string, render: (rec: Rec) => Obj) {
  const data: Obj[] = []
  for (let i = items.length - 1; i >= 0 && data.length < 10; i--) {
    data.push(render(items[i]))
  }
  return { object: 'list', data, has_more: items.length > 10, url }
}
