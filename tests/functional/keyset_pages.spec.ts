import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'

/*
| The orders and payment requests lists page by (created_at, id) with a
| cursor (app/services/keyset.ts): no OFFSET, no count, rows sharing a
| created_at neither skipped nor repeated, a malformed cursor is the first
| page. Rows are written straight to the tables: the lists read no Stripe.
*/

/** `count` one-line orders of `employer` with `contractor`, all at `at` unless given per order */
async function insertOrders(
  employer: User,
  contractor: User,
  count: number,
  at: (index: number) => string
) {
  const orders = await db
    .table('orders')
    .multiInsert(
      Array.from({ length: count }, (_, index) => ({
        employer_id: employer.id,
        currency: 'usd',
        total: 1000 + index,
        created_at: at(index),
        updated_at: at(index),
      }))
    )
    .returning(['id', 'created_at'])
  await db.table('order_lines').multiInsert(
    orders.map((order: { id: number; created_at: Date }, index: number) => ({
      order_id: order.id,
      contractor_id: contractor.id,
      title: `Job ${index + 1}`,
      unit_price: 1000 + index,
      amount: 1000 + index,
      fee_amount: 100,
      status: 'requested',
      created_at: order.created_at,
      updated_at: order.created_at,
    }))
  )
  return orders.map((order: { id: number }) => order.id) as number[]
}

/** The order ids a list page shows, in order */
function orderIdsOn(html: string) {
  return [...html.matchAll(/href="\/orders\/(\d+)"/g)].map((match) => Number(match[1]))
}

function hrefOf(html: string, rel: 'next' | 'prev') {
  const found = html.match(new RegExp(`<a href="([^"]+)" rel="${rel}"`))
  return found ? found[1].replace(/&amp;/g, '&') : null
}

test.group('Orders list pages (keyset)', (group) => {
  group.each.setup(() => truncateAllTables())

  test('pages through every order once, newest first, with ties on created_at', async ({
    client,
    assert,
  }) => {
    const employer = await createUser({ role: 'employer' })
    const contractor = await createUser({ role: 'contractor' })
    // 45 orders; 10 around the first page's edge share one created_at
    const ids = await insertOrders(employer, contractor, 45, (index) =>
      index >= 20 && index < 30
        ? '2026-03-01T12:00:00.000Z'
        : new Date(Date.UTC(2026, 0, 1) + index * 3_600_000).toISOString()
    )
    const rows = await db
      .from('orders')
      .where('employer_id', employer.id)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .select('id')
    const expected = rows.map((row) => row.id)
    assert.lengthOf(expected, ids.length)

    const seen: number[] = []
    let url: string | null = '/orders'
    const pages: string[] = []
    while (url) {
      const response = await client.get(url).loginAs(employer)
      response.assertStatus(200)
      const html = response.text()
      pages.push(html)
      seen.push(...orderIdsOn(html))
      url = hrefOf(html, 'next')
    }
    assert.lengthOf(pages, 3)
    assert.deepEqual(seen, expected)
    assert.isNull(hrefOf(pages[0], 'prev'))
    assert.include(hrefOf(pages[0], 'next')!, `/orders?before=${expected[19]}`)

    // Back up from the last page: the second page again, exactly
    const back = await client.get(hrefOf(pages[2], 'prev')!).loginAs(employer)
    assert.deepEqual(orderIdsOn(back.text()), expected.slice(20, 40))
    const firstAgain = await client.get(hrefOf(back.text(), 'prev')!).loginAs(employer)
    assert.deepEqual(orderIdsOn(firstAgain.text()), expected.slice(0, 20))
    assert.isNull(hrefOf(firstAgain.text(), 'prev'))
  })

  test('a malformed cursor is the first page; a cursor past the end says so', async ({
    client,
    assert,
  }) => {
    const employer = await createUser({ role: 'employer' })
    const contractor = await createUser({ role: 'contractor' })
    await insertOrders(employer, contractor, 3, (index) =>
      new Date(Date.UTC(2026, 0, 1) + index * 60_000).toISOString()
    )
    const latest = await client.get('/orders').loginAs(employer)
    const first = orderIdsOn(latest.text())
    for (const query of [
      'before=abc',
      'before=-1',
      'before=99999999999999999999',
      'after=1.5',
      'before[]=1',
      'page=2',
    ]) {
      const response = await client.get(`/orders?${query}`).loginAs(employer)
      response.assertStatus(200)
      assert.deepEqual(orderIdsOn(response.text()), first, query)
    }
    const oldest = first.at(-1)!
    const beyond = await client.get(`/orders?before=${oldest}`).loginAs(employer)
    beyond.assertStatus(200)
    beyond.assertTextIncludes('There are no more orders.')
  })

  test("a contractor's orders page the same way, and another employer's cursor shows nothing of theirs", async ({
    client,
    assert,
  }) => {
    const employer = await createUser({ role: 'employer' })
    const other = await createUser({ role: 'employer' })
    const contractor = await createUser({ role: 'contractor' })
    const mine = await insertOrders(employer, contractor, 25, (index) =>
      new Date(Date.UTC(2026, 0, 1) + index * 60_000).toISOString()
    )
    const theirs = await insertOrders(other, contractor, 1, () => '2026-02-01T00:00:00.000Z')

    const first = await client.get('/orders').loginAs(contractor)
    const firstIds = orderIdsOn(first.text())
    assert.deepEqual(firstIds, [theirs[0], ...mine.slice(-19).reverse()])
    const second = await client.get(hrefOf(first.text(), 'next')!).loginAs(contractor)
    assert.deepEqual(orderIdsOn(second.text()), mine.slice(0, 6).reverse())

    // The employer's list with the other employer's order as cursor: only their own orders
    const foreign = await client.get(`/orders?before=${theirs[0]}`).loginAs(employer)
    foreign.assertStatus(200)
    assert.deepEqual(orderIdsOn(foreign.text()), mine.slice(-20).reverse())
  })
})

test.group('Payment requests list pages (keyset)', (group) => {
  group.each.setup(() => truncateAllTables())

  test('pages through every request once, newest first', async ({ client, assert }) => {
    const contractor = await createUser({ role: 'contractor' })
    const at = '2026-03-01T12:00:00.000Z'
    const rows = await db
      .table('payment_requests')
      .multiInsert(
        Array.from({ length: 30 }, (_, index) => ({
          contractor_id: contractor.id,
          employer_email: `boss${index}@example.com`,
          description: `Request ${index + 1}`,
          amount: 5000,
          currency: 'usd',
          due_date: '2026-04-01',
          status: 'open',
          fee_plan: JSON.stringify({ basisPoints: 1000, fixed: 0, minimum: null, maximum: null }),
          token_hash: `hash-${index}`,
          token_encrypted: 'unused',
          created_at: at,
          updated_at: at,
        }))
      )
      .returning('id')
    const expected = rows.map((row: { id: number }) => row.id).sort((a: number, b: number) => b - a)
    const idsOn = (html: string) =>
      [...html.matchAll(/data-request="(\d+)"/g)].map((match) => Number(match[1]))

    const first = await client.get('/my/payment-requests').loginAs(contractor)
    first.assertStatus(200)
    const second = await client.get(hrefOf(first.text(), 'next')!).loginAs(contractor)
    second.assertStatus(200)
    assert.deepEqual([...idsOn(first.text()), ...idsOn(second.text())], expected)
    assert.isNull(hrefOf(second.text(), 'next'))
    const malformed = await client.get('/my/payment-requests?before=x').loginAs(contractor)
    assert.deepEqual(idsOn(malformed.text()), idsOn(first.text()))
  })
})

test.group('Indexes behind the pages (migration 0800)', () => {
  test('exist with their columns', async ({ assert }) => {
    const { rows } = await db.rawQuery(
      `select indexname, indexdef from pg_indexes where schemaname = 'public' and indexname = any(?)`,
      [
        [
          'orders_employer_id_created_at_id_index',
          'orders_created_at_id_index',
          'payment_requests_contractor_id_created_at_id_index',
          'payments_order_id_index',
          'order_lines_service_id_index',
          'stripe_events_received_at_index',
        ],
      ]
    )
    const columns = Object.fromEntries(
      rows.map((row: { indexname: string; indexdef: string }) => [
        row.indexname,
        row.indexdef.slice(row.indexdef.lastIndexOf('(') + 1, -1),
      ])
    )
    assert.deepEqual(columns, {
      orders_employer_id_created_at_id_index: 'employer_id, created_at, id',
      orders_created_at_id_index: 'created_at, id',
      payment_requests_contractor_id_created_at_id_index: 'contractor_id, created_at, id',
      payments_order_id_index: 'order_id',
      order_lines_service_id_index: 'service_id',
      stripe_events_received_at_index: 'received_at',
    })
  })
})
