import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import Service from '#models/service'
import OrderLine from '#models/order_line'
import UserProfile from '#models/user_profile'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'
import { followRedirect } from '#tests/helpers/http'
import { createActiveContractor, createEmployer } from '#tests/helpers/stripe'
import { placeTestOrder, stateOf } from '#tests/helpers/orders'
import { serviceHasOpenOrders } from '#actions/services/service_orders'
import { placeOrder } from '#actions/orders/place_order'
import { DomainError } from '#exceptions/domain_error'
import { cancelLines } from '#actions/orders/cancel_line'
import { actors } from '#domain/actor'
import { setFeePlan } from '#actions/contractors/set_fee_plan'

async function makeService(
  contractor: User,
  attributes: Partial<{
    title: string
    description: string
    price: number
    currency: string
    active: boolean
    createdAt: DateTime
  }> = {}
) {
  return Service.create({
    contractorId: contractor.id,
    title: attributes.title ?? 'Logo design',
    description: attributes.description ?? 'A logo in three variants, with the source files.',
    price: attributes.price ?? 25000,
    currency: attributes.currency ?? 'usd',
    active: attributes.active ?? true,
    ...(attributes.createdAt ? { createdAt: attributes.createdAt } : {}),
  })
}

/** Titles of the service cards on a listing page, in order */
function listedTitles(html: string) {
  return [...html.matchAll(/<h2><a href="\/services\/\d+">([^<]+)<\/a><\/h2>/g)].map(
    (match) => match[1]
  )
}

function post(client: ApiClient, user: User, path: string, form: Record<string, string> = {}) {
  return client.post(path).loginAs(user).withCsrfToken().form(form).redirects(0)
}

test.group('Services: search and filters', (group) => {
  group.each.setup(() => truncateAllTables())

  test('?q= finds words by prefix in the title, the description and the contractor’s name', async ({
    client,
    assert,
  }) => {
    const grace = await createActiveContractor({ fullName: 'Grace Hopper' })
    const linus = await createActiveContractor({ fullName: 'Linus Torvalds' })
    await makeService(grace, {
      title: 'Kitchen renovation plan',
      description: 'Drawings and a budget.',
    })
    await makeService(grace, { title: 'Compiler review', description: 'I read your parser code.' })
    await makeService(linus, {
      title: 'Kernel patch review',
      description: 'Careful reading of a kitchen sink of patches.',
    })
    await makeService(linus, { title: 'Hidden kitchen', active: false })

    const cases: Array<[string, string[]]> = [
      ['kitch', ['Kitchen renovation plan', 'Kernel patch review']],
      ['KITCHEN renov', ['Kitchen renovation plan']],
      ['hopper', ['Compiler review', 'Kitchen renovation plan']],
      ['grace parser', ['Compiler review']],
      ['torvalds review', ['Kernel patch review']],
      ['nothing-like-this', []],
      ["(kernel) | & ! ':*", ['Kernel patch review']],
    ]
    for (const [q, expected] of cases) {
      const page = await client.get('/services').qs({ q })
      page.assertStatus(200)
      assert.sameMembers(listedTitles(page.text()), expected, q)
      assert.notInclude(page.text(), 'Hidden kitchen')
    }
    const title = await client.get('/services').qs({ q: 'kitchen' })
    // A match in the title ranks above one in the description
    assert.deepEqual(listedTitles(title.text()), ['Kitchen renovation plan', 'Kernel patch review'])
    const none = await client.get('/services').qs({ q: 'nothing-like-this' })
    none.assertTextIncludes('No service matches your search.')
    none.assertTextIncludes('value="nothing-like-this"')
  })

  test('a contractor’s new name is searchable at once', async ({ client, assert }) => {
    const contractor = await createActiveContractor({ fullName: 'Ada Byron' })
    await makeService(contractor, { title: 'Engine tables' })
    contractor.fullName = 'Ada Lovelace'
    await contractor.save()

    const found = await client.get('/services').qs({ q: 'lovelace' })
    assert.deepEqual(listedTitles(found.text()), ['Engine tables'])
    const old = await client.get('/services').qs({ q: 'byron' })
    assert.deepEqual(listedTitles(old.text()), [])
  })

  test('?currency=usd&min=10&max=200 keeps USD services priced from $10.00 to $200.00', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    await makeService(contractor, { title: 'Five dollars', price: 500 })
    await makeService(contractor, { title: 'Ten dollars', price: 1000 })
    await makeService(contractor, { title: 'Fifty dollars', price: 5000 })
    await makeService(contractor, { title: 'Two hundred dollars', price: 20000 })
    await makeService(contractor, { title: 'Two hundred and one cent', price: 20001 })
    await makeService(contractor, { title: 'Fifty euros', price: 5000, currency: 'eur' })
    await makeService(contractor, { title: 'Fifty yen', price: 50, currency: 'jpy' })

    const usd = await client.get('/services').qs({ currency: 'usd', min: '10', max: '200' })
    usd.assertStatus(200)
    assert.sameMembers(listedTitles(usd.text()), [
      'Ten dollars',
      'Fifty dollars',
      'Two hundred dollars',
    ])
    usd.assertTextIncludes('<option value="usd" selected>')

    const yen = await client.get('/services').qs({ currency: 'JPY', min: '50', max: '1,000' })
    assert.deepEqual(listedTitles(yen.text()), ['Fifty yen'])

    const euros = await client.get('/services').qs({ currency: 'eur' })
    assert.deepEqual(listedTitles(euros.text()), ['Fifty euros'])

    // The form sends empty fields: they filter nothing
    const empty = await client.get('/services?q=&currency=&min=&max=')
    empty.assertStatus(200)
    assert.lengthOf(listedTitles(empty.text()), 7)
  })

  test('bad filters get a message next to the field, never a 500: {label}')
    .with([
      {
        label: 'min without currency',
        qs: { min: '10' },
        field: 'min',
        message: /Choose a currency to filter by price/,
      },
      {
        label: 'cents in yen',
        qs: { currency: 'jpy', min: '1.5' },
        field: 'min',
        message: /JPY has no decimals/,
      },
      {
        label: 'three decimals',
        qs: { currency: 'usd', max: '1.234' },
        field: 'max',
        message: /at most 2 decimals/,
      },
      {
        label: 'not an amount',
        qs: { currency: 'usd', max: 'lots' },
        field: 'max',
        message: /is not an amount/,
      },
      {
        label: 'a negative amount',
        qs: { currency: 'usd', min: '-5' },
        field: 'min',
        message: /cannot be negative/,
      },
      {
        label: 'an enormous amount',
        qs: { currency: 'usd', max: '99999999999999999999' },
        field: 'max',
        message: /too large|at most 30/,
      },
      {
        label: 'min above max',
        qs: { currency: 'usd', min: '200', max: '10' },
        field: 'max',
        message: /must not be below the lowest/,
      },
      {
        label: 'an unknown currency',
        qs: { currency: 'xyz' },
        field: 'currency',
        message: /Choose one of/,
      },
      {
        label: 'a NUL in the search',
        qs: { q: 'logo\u0000' },
        field: 'q',
        message: /control character/,
      },
      {
        label: 'a search too long',
        qs: { q: 'x'.repeat(101) },
        field: 'q',
        message: /at most 100/,
      },
      { label: 'an array for q', qs: { 'q[]': 'a' }, field: 'q', message: /must be text/ },
      {
        label: 'an array for currency',
        qs: { 'currency[]': 'usd' },
        field: 'currency',
        message: /must be text/,
      },
    ])
    .run(async ({ client, assert }, { qs, field, message }) => {
      const contractor = await createActiveContractor()
      await makeService(contractor, { title: 'Should not be listed while the filter is wrong' })

      const page = await client.get('/services').qs(qs)

      page.assertStatus(422)
      const html = page.text()
      const error = new RegExp(
        `<small class="error-text" id="${field}-error">([^<]*)</small>`
      ).exec(html)
      assert.isNotNull(error, html.slice(0, 4000))
      assert.match(error![1].replaceAll('&quot;', '"').replaceAll('&#39;', "'"), message)
      assert.match(html, new RegExp(`id="${field}"[^>]*aria-invalid="true"`))
      assert.deepEqual(listedTitles(html), [])
    })

  test('pages keep the filters, and stop at page 50', async ({ client, assert }) => {
    const contractor = await createActiveContractor()
    const start = DateTime.now().minus({ days: 30 })
    for (let index = 1; index <= 13; index++) {
      await makeService(contractor, {
        title: `Logo number ${String(index).padStart(2, '0')}`,
        price: 1000 + index,
        createdAt: start.plus({ days: index }),
      })
    }
    await makeService(contractor, { title: 'Expensive logo', price: 900000 })

    const first = await client.get('/services').qs({ q: 'logo', currency: 'usd', max: '100' })
    first.assertTextIncludes('Page 1 of 2')
    first.assertTextIncludes('href="/services?q=logo&amp;currency=usd&amp;max=100.00&amp;page=2"')
    const second = await client.get('/services?q=logo&currency=usd&max=100.00&page=2')
    assert.deepEqual(listedTitles(second.text()), ['Logo number 01'])

    const far = await client.get('/services').qs({ page: 51 })
    far.assertStatus(200)
    far.assertTextIncludes('Only the first')
    assert.deepEqual(listedTitles(far.text()), [])
  })
})

test.group('Contractor profile', (group) => {
  group.each.setup(() => truncateAllTables())

  test('shows the name, member since and only the services on the listing', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor({ fullName: 'Grace Hopper' })
    await makeService(contractor, { title: 'Compiler review' })
    await makeService(contractor, { title: 'Switched off', active: false })
    const deleted = await makeService(contractor, { title: 'Deleted one' })
    await Service.query()
      .where('id', deleted.id)
      .update({ deletedAt: DateTime.now(), active: false })
    const other = await createActiveContractor()
    await makeService(other, { title: 'Somebody else’s' })

    const page = await client.get(`/contractors/${contractor.id}`)

    page.assertStatus(200)
    page.assertTextIncludes('<h1>Grace Hopper</h1>')
    page.assertTextIncludes(
      `Member since</dt>\n      <dd>${contractor.createdAt.toUTC().toFormat('LLLL yyyy')}</dd>`
    )
    const html = page.text()
    assert.include(html, 'Compiler review')
    for (const hidden of ['Switched off', 'Deleted one', 'Somebody else’s']) {
      assert.notInclude(html, hidden)
    }

    const service = await Service.findByOrFail('title', 'Compiler review')
    const servicePage = await client.get(`/services/${service.id}`)
    servicePage.assertTextIncludes(`<a href="/contractors/${contractor.id}">Grace Hopper</a>`)
  })

  test('is a 404 for {label}')
    .with([
      { label: 'a contractor who cannot take orders', who: 'notOnboarded' },
      { label: 'a contractor whose transfers are inactive', who: 'transfersInactive' },
      { label: 'an employer', who: 'employer' },
      { label: 'an unknown id', who: 'unknown' },
    ] as const)
    .run(async ({ client }, { who }) => {
      let id: string
      if (who === 'notOnboarded') {
        const contractor = await createUser({ role: 'contractor', fullName: 'Not Yet' })
        id = String(contractor.id)
      } else if (who === 'transfersInactive') {
        const contractor = await createActiveContractor({ fullName: 'Not Yet' })
        await UserProfile.query()
          .where('userId', contractor.id)
          .update({ transfersCapability: 'inactive' })
        id = String(contractor.id)
      } else if (who === 'employer') {
        const employer = await createUser({ role: 'employer', fullName: 'Not Yet' })
        id = String(employer.id)
      } else {
        id = '99999999999'
      }
      const page = await client.get(`/contractors/${id}`)
      page.assertStatus(404)
      page.assertTextIncludes('Page not found')
    })
})

test.group('My services: edit and delete', (group) => {
  group.each.setup(() => truncateAllTables())

  test('the edit form shows the service as it is; saving changes the row', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const service = await makeService(contractor, { title: 'Logo design', price: 125050 })

    const form = await client.get(`/my/services/${service.id}/edit`).loginAs(contractor)
    form.assertStatus(200)
    form.assertTextIncludes(`<form method="POST" action="/my/services/${service.id}/edit"`)
    form.assertTextIncludes('value="Logo design"')
    form.assertTextIncludes('value="1250.50"')
    form.assertTextIncludes('<label for="title">Title</label>')
    form.assertTextIncludes('data-listing="listed">Listed</span>')

    const saved = await post(client, contractor, `/my/services/${service.id}/edit`, {
      title: 'Logo and brand book',
      description: 'Logo, colours\nand a brand book.',
      price: '1,500',
      currency: 'eur',
    })
    saved.assertStatus(302)
    saved.assertHeader('location', '/my/services')
    assert.equal(saved.flashMessage('success'), '“Logo and brand book” is listed at €1,500.00.')
    await service.refresh()
    assert.equal(service.title, 'Logo and brand book')
    assert.equal(service.description, 'Logo, colours\nand a brand book.')
    assert.equal(service.price, 150000)
    assert.equal(service.currency, 'eur')
    const found = await client.get('/services').qs({ q: 'brand' })
    assert.deepEqual(listedTitles(found.text()), ['Logo and brand book'])
  })

  test('a refused edit comes back to the edit form with the errors, nothing changed', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const service = await makeService(contractor)

    const refused = await post(client, contractor, `/my/services/${service.id}/edit`, {
      title: 'Logo\u0000design',
      description: 'short',
      price: '12.345',
      currency: 'usd',
    })
    refused.assertStatus(302)
    refused.assertHeader('location', `/my/services/${service.id}/edit`)
    const errors = refused.flashMessage('inputErrorsBag')
    assert.properties(errors, ['title', 'description', 'price'])
    const page = await followRedirect(client, refused)
    page.assertStatus(200)
    page.assertTextIncludes('USD amounts have at most 2 decimals.')
    page.assertTextIncludes('value="12.345"')
    await service.refresh()
    assert.equal(service.title, 'Logo design')
    assert.equal(service.price, 25000)
  })

  test("another contractor's service, a deleted or an unknown one is a 404 for edit and delete", async ({
    client,
    assert,
  }) => {
    const owner = await createActiveContractor()
    const intruder = await createActiveContractor()
    const service = await makeService(owner)
    const deleted = await makeService(intruder, { title: 'Gone' })
    await post(client, intruder, `/my/services/${deleted.id}/delete`)

    for (const [user, id] of [
      [intruder, service.id],
      [intruder, deleted.id],
      [intruder, 999999],
      [intruder, '99999999999999999999'],
    ] as const) {
      const page = await client.get(`/my/services/${id}/edit`).loginAs(user)
      page.assertStatus(404)
      const edit = await post(client, user, `/my/services/${id}/edit`, {
        title: 'Taken over',
        description: 'This is not my service at all.',
        price: '1.00',
        currency: 'usd',
      })
      edit.assertStatus(404)
      const remove = await post(client, user, `/my/services/${id}/delete`)
      remove.assertStatus(404)
    }
    await service.refresh()
    assert.equal(service.title, 'Logo design')
    assert.isNull(service.deletedAt)

    const employer = await createUser({ role: 'employer' })
    const forbidden = await client.get(`/my/services/${service.id}/edit`).loginAs(employer)
    forbidden.assertStatus(403)
  })

  test('delete: refused with the reason while an order is in progress, done once it is closed', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const service = await makeService(contractor, { title: 'Logo design', price: 12000 })
    const order = await placeTestOrder(employer, service)
    const { line } = await stateOf(order)
    assert.equal(line.status, 'requested')

    const refused = await post(client, contractor, `/my/services/${service.id}/delete`)
    refused.assertStatus(302)
    refused.assertHeader('location', '/my/services')
    assert.match(
      String(refused.flashMessage('error')),
      /^“Logo design” cannot be deleted while an order for it is in progress\./
    )
    await service.refresh()
    assert.isNull(service.deletedAt)
    assert.isTrue(service.active)

    await cancelLines(order.id, null, actors.party('employer', employer.id))
    const done = await post(client, contractor, `/my/services/${service.id}/delete`)
    done.assertHeader('location', '/my/services')
    assert.equal(done.flashMessage('success'), '“Logo design” is deleted.')
    await service.refresh()
    assert.isNotNull(service.deletedAt)
    assert.isFalse(service.active)
    // The closed order still shows what was ordered
    const closed = await OrderLine.query()
      .where('orderId', order.id)
      .preload('service')
      .firstOrFail()
    assert.equal(closed.title, 'Logo design')
    assert.equal(closed.service.title, 'Logo design')

    const mine = await followRedirect(client, done)
    mine.assertTextIncludes('You offer no services yet.')
    assert.notInclude(mine.text(), `/my/services/${service.id}/edit`)
    const listing = await client.get('/services')
    assert.deepEqual(listedTitles(listing.text()), [])
    const show = await client.get(`/services/${service.id}`)
    show.assertStatus(404)
    // It can never be ordered again
    await assert.rejects(() => placeOrder(employer, { serviceIds: [service.id] }), DomainError)
  })

  test('serviceHasOpenOrders: requested, accepted and delivered lines are open', async ({
    assert,
  }) => {
    const contractor = await createActiveContractor()
    const employer = await createEmployer()
    const service = await makeService(contractor, { price: 12000 })
    assert.isFalse(await serviceHasOpenOrders(service.id))
    const order = await placeTestOrder(employer, service)

    for (const status of ['requested', 'accepted', 'delivered']) {
      await db.from('order_lines').where('order_id', order.id).update({ status })
      assert.isTrue(await serviceHasOpenOrders(service.id), status)
    }
    for (const status of ['approved', 'declined', 'canceled']) {
      await db.from('order_lines').where('order_id', order.id).update({ status })
      assert.isFalse(await serviceHasOpenOrders(service.id), status)
    }
    const other = await makeService(contractor)
    assert.isFalse(await serviceHasOpenOrders(other.id))
  })
})

test.group('My services: the listing badge agrees with the listing', (group) => {
  group.each.setup(() => truncateAllTables())

  test('{label}')
    .with([
      {
        label: 'active, account ready: listed',
        active: true,
        ready: true,
        key: 'listed',
        reasons: [],
      },
      {
        label: 'deactivated: not listed, says why',
        active: false,
        ready: true,
        key: 'deactivated',
        reasons: ['Because you deactivated it.'],
      },
      {
        label: 'account not ready: not listed, says why',
        active: true,
        ready: false,
        key: 'account',
        reasons: ['Because your Stripe account cannot take payments yet (finish onboarding).'],
      },
      {
        label: 'both: both reasons',
        active: false,
        ready: false,
        key: 'deactivated',
        reasons: [
          'Because you deactivated it.',
          'Because your Stripe account cannot take payments yet (finish onboarding).',
        ],
      },
    ])
    .run(async ({ client, assert }, { active, ready, key, reasons }) => {
      const contractor = ready
        ? await createActiveContractor()
        : await createUser({ role: 'contractor' })
      const service = await makeService(contractor, { title: 'The one service', active })

      const mine = await client.get('/my/services').loginAs(contractor)
      mine.assertStatus(200)
      const badge = /data-listing="([a-z]+)">([^<]+)<\/span>/.exec(mine.text())
      assert.equal(badge?.[1], key)
      assert.equal(badge?.[2], key === 'listed' ? 'Listed' : 'Not listed')
      for (const reason of reasons) {
        mine.assertTextIncludes(reason)
      }
      assert.notInclude(mine.text(), '>Active</span>')

      const listing = await client.get('/services')
      assert.equal(listedTitles(listing.text()).includes('The one service'), key === 'listed')
      const show = await client.get(`/services/${service.id}`)
      show.assertStatus(key === 'listed' ? 200 : 404)
    })
})

test.group('My services: the fee plan and what the contractor receives', (group) => {
  group.each.setup(() => truncateAllTables())

  /** "You receive" of each service row, by service id */
  function receivedOf(html: string) {
    return Object.fromEntries(
      [
        ...html.matchAll(
          /data-receive="(\d+)">\s*([^<]+?)\s*<span[^>]*>after a ([^<]+) fee<\/span>/g
        ),
      ].map((match) => [Number(match[1]), { receive: match[2], fee: match[3] }])
    )
  }

  test('the platform plan by default, the contractor’s own once set, to the cent per currency', async ({
    client,
    assert,
  }) => {
    const carla = await createActiveContractor()
    const fence = await makeService(carla, { title: 'Fence', price: 12050 })
    const garden = await makeService(carla, { title: 'Garden', price: 5000, currency: 'jpy' })

    // The default plan: 10% + nothing
    const before = await client.get('/my/services').loginAs(carla)
    before.assertStatus(200)
    before.assertTextIncludes('data-fee-plan="10%"')
    before.assertTextIncludes('standard plan')
    assert.deepEqual(receivedOf(before.text()), {
      [fence.id]: { receive: '$108.45', fee: '$12.05' },
      [garden.id]: { receive: '¥4,500', fee: '¥500' },
    })

    // 8% + 30 minor units with a minimum of $10.00: the minimum wins on $120.50
    await setFeePlan(carla, { basisPoints: 800, fixed: 30, minimum: 1000, maximum: null }, 'test')
    const after = await client.get('/my/services').loginAs(carla)
    after.assertTextIncludes('your own plan')
    assert.deepEqual(receivedOf(after.text())[fence.id], { receive: '$110.50', fee: '$10.00' })
    // ¥5,000 × 8% + ¥30 = ¥430, below the minimum of 1000 minor units (¥1,000)
    assert.deepEqual(receivedOf(after.text())[garden.id], { receive: '¥4,000', fee: '¥1,000' })
  })
})
