import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'
import { createActiveContractor, createEmployer } from '#tests/helpers/stripe'
import { createService } from '#tests/helpers/orders'
import { recordQueries, settleQueries } from '#tests/helpers/query_counter'

/*
| Round trips to PostgreSQL (issue 18): placing an order reads each profile
| once, and the pages run the same statements whatever the number of rows
| they show (no query per row).
*/

/** `count` one-line orders, written straight to the tables */
async function insertOrders(employer: User, contractor: User, count: number) {
  const orders = await db
    .table('orders')
    .multiInsert(
      Array.from({ length: count }, () => ({
        employer_id: employer.id,
        currency: 'usd',
        total: 1000,
        created_at: new Date(),
        updated_at: new Date(),
      }))
    )
    .returning('id')
  const ids = orders.map((order: { id: number }) => order.id)
  await db.table('order_lines').multiInsert(
    ids.map((orderId: number) => ({
      order_id: orderId,
      contractor_id: contractor.id,
      title: 'Job',
      unit_price: 1000,
      amount: 1000,
      fee_amount: 100,
      status: 'requested',
      created_at: new Date(),
      updated_at: new Date(),
    }))
  )
  await db.table('payments').multiInsert(
    ids.map((orderId: number) => ({
      order_id: orderId,
      employer_id: employer.id,
      method_type: 'card',
      flow: 'hold',
      amount: 1000,
      currency: 'usd',
      status: 'authorized',
      created_at: new Date(),
      updated_at: new Date(),
    }))
  )
  return ids as number[]
}

test.group('Round trips', (group) => {
  group.each.setup(() => truncateAllTables())

  test('placing an order reads each profile once, in at most 22 statements', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const service = await createService(contractor)
    await settleQueries()
    const { result: response, statements } = await recordQueries(() =>
      client
        .post('/orders')
        .loginAs(employer)
        .withCsrfToken()
        .form({ service_id: service.id })
        .redirects(0)
    )
    response.assertStatus(302)
    const profileReads = statements.filter((sql) => /from "user_profiles"/.test(sql))
    // The employer's (customer, default card) and the contractors' (fee plan, account)
    assert.lengthOf(profileReads, 2, profileReads.join('\n'))
    // A webhook the sandbox delivers meanwhile is not the order's: its intake
    // (BEGIN, the events, their jobs, COMMIT) is left out of the count
    const intakes = statements.filter((sql) => /insert into "stripe_events"/i.test(sql)).length
    const own = statements.filter((sql) => !/stripe_events|pgboss/i.test(sql))
    assert.isAtMost(own.length - 2 * intakes, 22, statements.join('\n'))
  })

  // At most: the signed-in user, then the page's own reads (benchmarks/QUERIES.md)
  for (const [role, url, most] of [
    ['employer', '/orders', 6],
    // + the orders that need the employer, when some do
    ['employer', '/', 9],
    ['contractor', '/orders', 7],
    ['contractor', '/', 12],
  ] as const) {
    test(`${role} ${url}: the same statements for 2 orders as for 20`, async ({
      client,
      assert,
    }) => {
      const employer = await createUser({ role: 'employer' })
      const contractor = await createUser({ role: 'contractor' })
      const viewer = role === 'employer' ? employer : contractor
      await insertOrders(employer, contractor, 2)
      await settleQueries()
      const few = await recordQueries(() => client.get(url).loginAs(viewer))
      few.result.assertStatus(200)
      await insertOrders(employer, contractor, 18)
      await settleQueries()
      const many = await recordQueries(() => client.get(url).loginAs(viewer))
      many.result.assertStatus(200)
      assert.equal(many.statements.length, few.statements.length, many.statements.join('\n'))
      assert.isAtMost(many.statements.length, most, many.statements.join('\n'))
    })
  }

  test('an order page: at most 10 statements, the employer not read twice', async ({
    client,
    assert,
  }) => {
    const employer = await createUser({ role: 'employer', fullName: 'Edith Whitcombe' })
    const contractor = await createUser({ role: 'contractor' })
    const [orderId] = await insertOrders(employer, contractor, 1)
    await settleQueries()
    const { result, statements } = await recordQueries(() =>
      client.get(`/orders/${orderId}`).loginAs(employer)
    )
    result.assertStatus(200)
    assert.isAtMost(statements.length, 10, statements.join('\n'))
    const userReads = statements.filter((sql) => /from "users"/.test(sql))
    // The signed-in employer, and the contractors of the lines
    assert.lengthOf(userReads, 2, userReads.join('\n'))

    // A contractor sees the employer's name: read for them
    const seen = await client.get(`/orders/${orderId}`).loginAs(contractor)
    seen.assertStatus(200)
    seen.assertTextIncludes('by Edith Whitcombe')
  })
})
