import { test } from '@japa/runner'
import type { ApiResponse } from '@japa/api-client'
import { stripe } from '#stripe/client'
import { actors } from '#domain/actor'
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
import { approveLines } from '#actions/orders/approve_line'
import { refundOrder } from '#actions/refunds/refund_order'
import { debitContractor } from '#actions/contractors/debit_contractor'
import { runJobs } from '#tests/helpers/jobs'

/** What the "What" cell of a transaction's row says */
function whatOf(page: ApiResponse, transactionId: string) {
  const row = new RegExp(`<tr data-id="${transactionId}">([\\s\\S]*?)</tr>`).exec(page.text())?.[1]
  const cell = row ? /<td data-label="What"[^>]*>([\s\S]*?)<\/td>/.exec(row)?.[1] : undefined
  return cell
    ?.replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/** The order a transaction's row links to, if any */
function linkedOrder(page: ApiResponse, transactionId: string) {
  const row = new RegExp(`<tr data-id="${transactionId}">([\\s\\S]*?)</tr>`).exec(page.text())?.[1]
  const match = row ? /href="\/orders\/(\d+)"/.exec(row) : null
  return match ? Number(match[1]) : null
}

async function approved(employerId: number, orderId: number) {
  await approveLines(orderId, null, actors.party('employer', employerId))
}

test.group('Balance: each transaction linked to its order or debit', (group) => {
  group.each.setup(() => truncateAllTables())

  test('payments, refunds, fees given back and debits name their order, in our words', async ({
    client,
    assert,
  }) => {
    const carla = await createActiveContractor({ fullName: 'Carla Contractor' })
    const employer = await createEmployer()
    const paint = await createService(carla, { title: 'Paint', price: 12000 })
    const fence = await createService(carla, { title: 'Fence', price: 5000 })

    // Held and captured (a destination charge)…
    const held = await placeTestOrder(employer, paint)
    await acceptLine(held.id, null, carla)
    await deliverLine(held.id, null, carla)
    await approved(employer.id, held.id)
    // …and paid at once, each line by its own transfer
    const charged = await placeTestOrder(employer, [paint, fence])
    const { lines } = await stateOf(charged)
    for (const line of lines) {
      await acceptLine(charged.id, line.id, carla)
      await deliverLine(charged.id, line.id, carla)
    }
    await approved(employer.id, charged.id)
    await advanceSandboxClock(3 * 86_400)
    await refundOrder(held.id, { actor: 'console:test', amount: 3000 })
    await refundOrder(charged.id, { actor: 'console:test', lineId: lines[0].id, amount: 2000 })
    await debitContractor({
      actor: 'console:test',
      contractor: carla,
      amount: 1500,
      currency: 'usd',
      reason: 'Late delivery penalty',
      orderId: held.id,
    })
    await runJobs(['apply_stripe_event'])

    const { data } = await stripe().balanceTransactions.list(
      { limit: 100 },
      { stripeAccount: await stripeIdOf(carla) }
    )
    const byType = (type: string) => data.filter((txn) => txn.type === type)
    assert.lengthOf(byType('payment'), 3)
    assert.lengthOf(byType('payment_refund'), 2)
    assert.lengthOf(byType('application_fee_refund'), 1)
    assert.lengthOf(byType('transfer'), 1)

    const page = await client.get('/balance').loginAs(carla)
    page.assertStatus(200)
    const payments = byType('payment').map((txn) => linkedOrder(page, txn.id))
    assert.sameMembers(payments, [held.id, charged.id, charged.id])
    for (const txn of byType('payment')) {
      assert.match(whatOf(page, txn.id)!, /^Payment for an order Order #\d+ · (Paint|Fence)$/)
    }
    const refunds = byType('payment_refund').map((txn) => linkedOrder(page, txn.id))
    assert.sameMembers(refunds, [held.id, charged.id])
    for (const txn of byType('payment_refund')) {
      assert.match(whatOf(page, txn.id)!, /^Refund to the employer Order #\d+ · Paint$/)
    }
    const [feeBack] = byType('application_fee_refund')
    assert.equal(linkedOrder(page, feeBack.id), held.id)
    assert.equal(
      whatOf(page, feeBack.id),
      `Crewpay fee given back with a refund Order #${held.id} · Paint`
    )
    const [debit] = byType('transfer')
    assert.equal(whatOf(page, debit.id), `Debit: Late delivery penalty Order #${held.id}`)
    assert.equal(linkedOrder(page, debit.id), held.id)
    // No Stripe word left
    for (const word of ['payment_refund', 'application_fee', '>Transfer<']) {
      assert.notInclude(page.text(), word)
    }
  })

  test("another contractor's order is never linked", async ({ client, assert }) => {
    const carla = await createActiveContractor()
    const dave = await createActiveContractor()
    const employer = await createEmployer()
    const order = await placeTestOrder(employer, await createService(carla, { price: 5000 }))
    await acceptLine(order.id, null, carla)
    await deliverLine(order.id, null, carla)
    await approved(employer.id, order.id)
    const { line, payment, transfers } = await stateOf(order)

    // A transfer to Dave that our records (wrongly) tie to Carla's line: Dave's page must not
    // lead to Carla's order
    const toDave = await stripe().transfers.create({
      amount: 700,
      currency: 'usd',
      destination: await stripeIdOf(dave),
    })
    const [carlas] = transfers
    carlas.stripeTransferId = toDave.id
    await carlas.save()
    assert.equal(carlas.orderLineId, line.id)
    assert.equal(carlas.paymentId, payment.id)
    const page = await client.get('/balance').loginAs(dave)
    page.assertStatus(200)
    page.assertTextIncludes('$7.00')
    assert.notInclude(page.text(), `/orders/${order.id}`)
  })
})
