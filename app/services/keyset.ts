import type { LucidModel, ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'
import { isRecordId } from '#services/record_id'

/*
|--------------------------------------------------------------------------
| Keyset pagination: newest first by (created_at, id)
|--------------------------------------------------------------------------
|
| A page is the rows just older (`?before=<id>`) or just newer
| (`?after=<id>`) than a row of the list, found through an index on
| (…, created_at, id): no OFFSET that grows with the page and no count of
| the whole list (issue 18). The cursor is the id of the row at the page's
| edge; its (created_at, id) is read in the same statement, so rows sharing
| a created_at are neither skipped nor repeated. A malformed cursor is the
| first page; the cursor of a row that is gone gives an empty page.
|
*/

export interface Cursor {
  direction: 'before' | 'after'
  id: number
}

export interface KeysetPage<Row> {
  rows: Row[]
  /** The cursor of the next older page, when there are older rows */
  olderCursor: number | null
  /** The cursor of the newer page, when this is not the first page */
  newerCursor: number | null
}

function idOf(value: unknown) {
  if (typeof value !== 'string' || !/^\d{1,10}$/.test(value)) {
    return null
  }
  const id = Number(value)
  return isRecordId(id) ? id : null
}

/** The cursor of a list's query string (`before` or `after`); null: the first page */
export function cursorOf(query: Record<string, unknown>): Cursor | null {
  const before = idOf(query.before)
  if (before !== null) {
    return { direction: 'before', id: before }
  }
  const after = idOf(query.after)
  return after === null ? null : { direction: 'after', id: after }
}

/** `?before=12` / `?after=12` links of a page, on `path` */
export function cursorLinks(path: string, page: KeysetPage<unknown>) {
  return {
    olderUrl: page.olderCursor === null ? null : `${path}?before=${page.olderCursor}`,
    newerUrl: page.newerCursor === null ? null : `${path}?after=${page.newerCursor}`,
  }
}

/**
 * One page of `query` (a model's query, filtered to the list), newest first.
 * `table` is the model's table: the cursor row is read from it.
 */
export async function keysetPage<Model extends LucidModel>(
  query: ModelQueryBuilderContract<Model>,
  table: string,
  cursor: Cursor | null,
  perPage: number
): Promise<KeysetPage<InstanceType<Model>>> {
  const newerFirst = cursor?.direction !== 'after'
  if (cursor) {
    const comparison = cursor.direction === 'before' ? '<' : '>'
    query.whereRaw(
      `("${table}"."created_at", "${table}"."id") ${comparison} (select "created_at", "id" from "${table}" where "id" = ?)`,
      [cursor.id]
    )
  }
  const direction = newerFirst ? 'desc' : 'asc'
  // One more than a page tells whether there is another, without counting them all
  const found = (await query
    .orderBy(`${table}.created_at`, direction)
    .orderBy(`${table}.id`, direction)
    .limit(perPage + 1)) as InstanceType<Model>[]
  const more = found.length > perPage
  const page = found.slice(0, perPage)
  const rows = newerFirst ? page : page.reverse()
  const first = rows[0] as { id: number } | undefined
  const last = rows.at(-1) as { id: number } | undefined
  if (newerFirst) {
    return {
      rows,
      olderCursor: more && last ? last.id : null,
      // Before a row: that row (and anything newer) is a page up
      newerCursor: cursor && first ? first.id : null,
    }
  }
  return {
    rows,
    // After a row: that row is older than this page
    olderCursor: last ? last.id : null,
    newerCursor: more && first ? first.id : null,
  }
}
