import { test } from '@japa/runner'
import type { ApiResponse } from '@japa/api-client'
import app from '@adonisjs/core/services/app'
import { stripe } from '#stripe/client'
import { actors } from '#domain/actor'
import TransferReversal from '#models/transfer_reversal'
import { truncateAllTables } from '#tests/helpers/database'
import {
  advanceSandboxClock,
  createActiveContractor,
  createEmployer,
  stripeIdOf,
} from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { acceptLine } from '#actions/orders/accept_line'
import { deliverLine } from '#actions/orders/deliver_line'
import { declineLine } from '#actions/orders/decline_line'
import { approveLines } from '#actions/orders/approve_line'
import { refundOrder } from '#actions/refunds/refund_order'
import { runJobs } from '#tests/helpers/jobs'

/** The timeline's rows as [what happened, amount] (the time left out) */
function timelineOf(page: ApiResponse) {
  const html = page.text()
  const table = html.slice(html.indexOf('<table class="stack timeline">'))
  const body = table.slice(table.indexOf('<tbody>'), table.indexOf('</tbody>'))
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].slice(1).map((cell) =>
      cell[1]
        .replace(/<[^>]+>/g, ' ')
        .replace(/&#x27;/g, "'")
        .replace(/\s+/g, ' ')
        .trim()
    )
  )
}

/** The "Where the money went" lines as [label, amount] */
function breakdownOf(page: ApiResponse) {
  const html = page.text()
  const start = html.indexOf('<ul class="legend">')
  if (start < 0) {
    return null
  }
  const list = html.slice(start, html.indexOf('</ul>', start))
  return [...list.matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g)].map((item) =>
    [...item[1].matchAll(/<span>([\s\S]*?)<\/span>(?=<span|$)/g)].map((span) =>
      span[1].replace(/<[^>]+>/g, '').trim()
    )
  )
}

/** Words of the audit that must never reach a page */
const INTERNAL_WORDS = [
  'refund.',
  'payment.',
  'line.',
  'transfer.',
  'reverse_transfer',
  'refund_application_fee',
  'requested_by_customer',
  'abandoned',
]

test.group('Order pages in plain words', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a refunded order says what each party gave back, one line per refund, to the cent', async ({
    client,
    assert,
  }) => {
    const carla = await createActiveContractor({ fullName: 'Carla Contractor' })
    const employer = await createEmployer({ fullName: 'Erin Employer' })
    const order = await placeTestOrder(employer, await createService(carla, { price: 12000 }))
    await acceptLine(order.id, null, carla)
    await deliverLine(order.id, null, carla)
    await approveLines(order.id, null, actors.party('employer', employer.id))
    await refundOrder(order.id, { actor: 'console:test', amount: 3333 })
    await refundOrder(order.id, { actor: 'console:test' })
    await runJobs(['apply_stripe_event'])
    const { payment } = await stateOf(order)
    assert.equal(payment.status, 'refunded')

    // What Stripe took from the contractor for each refund: the reversal less the fee given back
    const transactions = await stripe().balanceTransactions.list(
      { limit: 100 },
      { stripeAccount: await stripeIdOf(carla) }
    )
    const refunds = transactions.data.filter((txn) => txn.type === 'payment_refund')
    const feeRefunds = transactions.data.filter((txn) => txn.type === 'application_fee_refund')
    assert.lengthOf(refunds, 2)
    const takenByStripe = refunds
      .map((refund, index) => -refund.net - feeRefunds[index].net)
      .reverse()
    assert.equal(
      takenByStripe.reduce((sum, taken) => sum + taken, 0),
      10800
    )

    const page = await client.get(`/orders/${order.id}`).loginAs(employer)
    page.assertStatus(200)
    for (const word of INTERNAL_WORDS) {
      assert.notInclude(page.text(), word)
    }
    const money = (cents: number) => `$${(cents / 100).toFixed(2)}`
    assert.deepEqual(timelineOf(page), [
      ['You placed the order — held on your card until you approve the work', '$120.00'],
      ['Amount held on your card', '$120.00'],
      ['Carla Contractor accepted', ''],
      ['Carla Contractor delivered', ''],
      ['Your card was charged', '$120.00'],
      ['You approved the work', ''],
      ['Paid to Carla Contractor — after the platform fee', '$108.00'],
      [
        `Refunded to you — ${money(takenByStripe[0])} given back by Carla Contractor, ${money(3333 - takenByStripe[0])} by Crewpay`,
        '$33.33',
      ],
      [
        `Refunded to you — ${money(takenByStripe[1])} given back by Carla Contractor, ${money(8667 - takenByStripe[1])} by Crewpay`,
        '$86.67',
      ],
    ])
    assert.deepEqual(breakdownOf(page), [
      ['You paid', '$120.00'],
      ['Carla Contractor keeps', '$0.00'],
      ['received $108.00, gave back', '$108.00'],
      ['Platform fee kept', '$0.00'],
      ['fee $12.00, Crewpay gave back', '$12.00'],
      ["of which the card processor's fee", '$3.78'],
      ['Refunded to you', '$120.00'],
    ])
    // The line says it was refunded, not "Paid"
    page.assertTextIncludes('>Refunded</span>')
    page.assertTextIncludes(
      'Carla Contractor received $108.00 and gave back $108.00 with the refund'
    )

    const theirs = await client.get(`/orders/${order.id}`).loginAs(carla)
    const rows = timelineOf(theirs)
    assert.deepEqual(rows.slice(0, 3), [
      ['Erin Employer placed the order — held on the card until the work is approved', '$120.00'],
      ["Amount held on the employer's card", '$120.00'],
      ['You accepted', ''],
    ])
    assert.deepEqual(rows.slice(-3), [
      ['Paid to you — after the platform fee', '$108.00'],
      [`Refunded to the employer — you gave back ${money(takenByStripe[0])}`, '$33.33'],
      [`Refunded to the employer — you gave back ${money(takenByStripe[1])}`, '$86.67'],
    ])
    theirs.assertTextIncludes(
      'You received $108.00; $108.00 went back to the employer with the refund'
    )
    assert.isNull(breakdownOf(theirs))
  })

  test('a declined line says so with its reason; a line refund says who paid it', async ({
    client,
    assert,
  }) => {
    const carla = await createActiveContractor({ fullName: 'Carla Contractor' })
    const olga = await createActiveContractor({ fullName: 'Olga Odd-Jobs' })
    const employer = await createEmployer({ fullName: 'Erin Employer' })
    const order = await placeTestOrder(employer, [
      await createService(carla, { title: 'Paint', price: 12000 }),
      await createService(olga, { title: 'Fence', price: 5000 }),
    ])
    const {
      lines: [paint, fence],
    } = await stateOf(order)
    await declineLine(order.id, fence.id, olga, 'Too busy this week')
    await acceptLine(order.id, paint.id, carla)
    await deliverLine(order.id, paint.id, carla)
    await approveLines(order.id, paint.id, actors.party('employer', employer.id))
    // A separate transfer is reversed from available funds
    await advanceSandboxClock(2 * 86_400 + 60)
    await refundOrder(order.id, { actor: 'console:test', lineId: paint.id, amount: 2000 })
    await runJobs(['apply_stripe_event'])
    const [reversal] = await TransferReversal.all()
    assert.equal(reversal.status, 'succeeded')
    assert.equal(reversal.amount, 1800)

    const page = await client.get(`/orders/${order.id}`).loginAs(employer)
    for (const word of INTERNAL_WORDS) {
      assert.notInclude(page.text(), word)
    }
    assert.deepEqual(timelineOf(page), [
      ['You placed the order — paid by card', '$170.00'],
      ['Payment collected', '$170.00'],
      ['Olga Odd-Jobs declined “Fence” — Reason: Too busy this week', ''],
      ['Refunded to you “Fence” — for work that was not done', '$50.00'],
      ['Carla Contractor accepted “Paint”', ''],
      ['Carla Contractor delivered “Paint”', ''],
      ['You approved the work “Paint”', ''],
      ['Paid to Carla Contractor “Paint” — after the platform fee', '$108.00'],
      [
        'Refunded to you “Paint” — $18.00 given back by Carla Contractor, $2.00 by Crewpay',
        '$20.00',
      ],
    ])
    assert.deepEqual(breakdownOf(page), [
      ['You paid', '$170.00'],
      ['Carla Contractor keeps', '$90.00'],
      ['received $108.00, gave back', '$18.00'],
      ['Platform fee kept', '$10.00'],
      ['fee $12.00, Crewpay gave back', '$2.00'],
      ["of which the card processor's fee", '$5.23'],
      ['Refunded to you', '$70.00'],
    ])
    page.assertTextIncludes('Declined by the contractor')
    page.assertTextIncludes('Reason: Too busy this week')

    // Olga sees her own line only, and none of Carla's money
    const hers = await client.get(`/orders/${order.id}`).loginAs(olga)
    assert.deepEqual(timelineOf(hers), [
      ['You declined “Fence” — Reason: Too busy this week', ''],
      ['Refunded to the employer — for work that was not done', '$50.00'],
    ])
    assert.notInclude(hers.text(), '$108.00')
  })

  test('an order paid at once with work not approved yet shows the money held for it', async ({
    client,
    assert,
  }) => {
    const carla = await createActiveContractor({ fullName: 'Carla Contractor' })
    const employer = await createEmployer()
    const order = await placeTestOrder(employer, [
      await createService(carla, { title: 'Paint', price: 12000 }),
      await createService(carla, { title: 'Fence', price: 5000 }),
    ])
    const {
      lines: [paint],
    } = await stateOf(order)
    await acceptLine(order.id, paint.id, carla)
    await deliverLine(order.id, paint.id, carla)
    await approveLines(order.id, paint.id, actors.party('employer', employer.id))

    const page = await client.get(`/orders/${order.id}`).loginAs(employer)
    const breakdown = breakdownOf(page)!
    assert.deepInclude(breakdown, ['Carla Contractor receives', '$108.00'])
    assert.deepInclude(breakdown, ['Platform fee', '$12.00'])
    assert.deepInclude(breakdown, ['Held until you approve the rest', '$50.00'])
  })

  test("with STRIPE_FEE_PASSTHROUGH Stripe's fee shows as paid from the contractors' shares, and the legend adds up to what was paid", async ({
    client,
    assert,
  }) => {
    app.config.set('marketplace.stripeFeePassthrough', true)
    try {
      const carla = await createActiveContractor({ fullName: 'Carla Contractor' })
      const olga = await createActiveContractor({ fullName: 'Olga Odd-Jobs' })
      const employer = await createEmployer()
      const order = await placeTestOrder(employer, [
        await createService(carla, { title: 'Paint', price: 12000 }),
        await createService(olga, { title: 'Fence', price: 5000 }),
      ])
      const {
        lines: [paint, fence],
      } = await stateOf(order)
      const money = (cents: number) => `$${(cents / 100).toFixed(2)}`
      const cents = (text: string) => Math.round(Number(text.replace(/[$,]/g, '')) * 100)
      /** The legend's additive items (sub lines are details of the item above them) */
      const items = (page: ApiResponse) =>
        breakdownOf(page)!.filter(
          ([label]) => label !== 'You paid' && !label.startsWith('of which')
        )

      // Carla's line approved: her transfer bore her share of Stripe's fee
      await acceptLine(order.id, paint.id, carla)
      await deliverLine(order.id, paint.id, carla)
      await approveLines(order.id, paint.id, actors.party('employer', employer.id))
      let state = await stateOf(order)
      const stripeFee = state.payment.stripeFee!
      const [carlaTransfer] = state.transfers
      const carlaShare = carlaTransfer.stripeFeeShare
      assert.isAbove(carlaShare, 0)
      assert.isBelow(carlaShare, stripeFee)
      assert.equal(carlaTransfer.amount, 12000 - 1200 - carlaShare)

      let page = await client.get(`/orders/${order.id}`).loginAs(employer)
      assert.deepEqual(breakdownOf(page), [
        ['You paid', '$170.00'],
        ['Carla Contractor receives', money(carlaTransfer.amount)],
        ["Card processor's fee, paid from the contractors' shares", money(carlaShare)],
        ['Platform fee', '$12.00'],
        ['Held until you approve the rest', '$50.00'],
      ])
      assert.equal(
        items(page).reduce((sum, [, amount]) => sum + cents(amount), 0),
        17000
      )
      assert.include(page.text(), '<rect class="processor"')
      // The timeline says what the transfer was after
      assert.deepInclude(timelineOf(page), [
        "Paid to Carla Contractor “Paint” — after the platform fee and a share of the card processor's fee",
        money(carlaTransfer.amount),
      ])
      const hers = await client.get(`/orders/${order.id}`).loginAs(carla)
      assert.deepInclude(timelineOf(hers), [
        "Paid to you “Paint” — after the platform fee and a share of the card processor's fee",
        money(carlaTransfer.amount),
      ])

      // Both approved: the shares add up to Stripe's whole fee, none of it under the platform's
      await acceptLine(order.id, fence.id, olga)
      await deliverLine(order.id, fence.id, olga)
      await approveLines(order.id, fence.id, actors.party('employer', employer.id))
      state = await stateOf(order)
      const olgaTransfer = state.transfers.find((transfer) => transfer.orderLineId === fence.id)!
      assert.equal(carlaShare + olgaTransfer.stripeFeeShare, stripeFee)

      page = await client.get(`/orders/${order.id}`).loginAs(employer)
      assert.deepEqual(breakdownOf(page), [
        ['You paid', '$170.00'],
        ['Carla Contractor receives', money(carlaTransfer.amount)],
        ['Olga Odd-Jobs receives', money(olgaTransfer.amount)],
        ["Card processor's fee, paid from the contractors' shares", money(stripeFee)],
        ['Platform fee', '$17.00'],
      ])
      assert.equal(
        items(page).reduce((sum, [, amount]) => sum + cents(amount), 0),
        17000
      )
    } finally {
      app.config.set('marketplace.stripeFeePassthrough', false)
    }
  })
})
