import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import app from '@adonisjs/core/services/app'
import type User from '#models/user'
import { actors } from '#domain/actor'
import { truncateAllTables } from '#tests/helpers/database'
import { runJobs } from '#tests/helpers/jobs'
import { fakeMail, type SentMail } from '#tests/helpers/mail'
import { createActiveContractor, createEmployer } from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { acceptLine } from '#actions/orders/accept_line'
import { declineLine } from '#actions/orders/decline_line'
import { deliverLine } from '#actions/orders/deliver_line'
import { approveLines } from '#actions/orders/approve_line'
import { cancelLines } from '#actions/orders/cancel_line'
import { refundOrder } from '#actions/refunds/refund_order'
import { debitContractor } from '#actions/contractors/debit_contractor'
import { remindApprovals } from '#actions/orders/remind_approvals'

/** The mails sent since `from`, after the queue ran: [message, to, subject] */
async function mailsTo(
  mails: ReturnType<typeof fakeMail>,
  from: number
): Promise<[string | null, string, string, SentMail][]> {
  await runJobs(['send_notification'])
  return mails
    .sent()
    .slice(from)
    .map((sent) => [sent.message, sent.to[0], sent.subject, sent])
}

/** How many mails were sent so far, once the queue ran */
async function sentCount(mails: ReturnType<typeof fakeMail>) {
  await runJobs(['send_notification'])
  return mails.sent().length
}

async function parties(card = 'pm_card_visa') {
  const contractor = await createActiveContractor({
    fullName: 'Carla Contractor',
    email: 'carla@example.com',
  })
  const employer = await createEmployer(
    { fullName: 'Erin Employer', email: 'erin@example.com' },
    card
  )
  const service = await createService(contractor, { title: 'Kitchen repaint', price: 12050 })
  return { contractor, employer, service }
}

test.group('Order emails: who hears what, with the amount, once', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a held order, placed, accepted, delivered, approved, partly refunded', async ({
    assert,
  }) => {
    const mails = fakeMail()
    const { contractor, employer, service } = await parties()
    // What signing up and onboarding sent is not about orders
    let seen = await sentCount(mails)
    const order = await placeTestOrder(employer, service)

    const placed = await mailsTo(mails, seen)
    assert.deepEqual(
      placed.map(([message, to]) => [message, to]),
      [['order_requested', 'carla@example.com']]
    )
    assert.include(placed[0][2], `New order #${order.id}`)
    assert.include(placed[0][2], '$120.50')
    seen = mails.sent().length

    await acceptLine(order.id, null, contractor)
    await deliverLine(order.id, null, contractor)
    const delivered = await mailsTo(mails, seen)
    assert.deepEqual(
      delivered.map(([message, to]) => [message, to]),
      [
        ['order_accepted', 'erin@example.com'],
        ['order_delivered', 'erin@example.com'],
      ]
    )
    // Approve by the day before the hold is settled (capture_before less a day)
    const { payment } = await stateOf(order)
    const approveBy = payment.captureBefore!.minus({ hours: 24 })
    assert.include(delivered[1][2], approveBy.toUTC().toFormat('LLL d, yyyy'))
    assert.include(delivered[1][3].text, '$120.50')
    assert.include(delivered[1][3].text, `/orders/${order.id}`)
    seen = mails.sent().length

    await approveLines(order.id, null, actors.party('employer', employer.id))
    const approved = await mailsTo(mails, seen)
    assert.sameDeepMembers(
      approved.map(([message, to]) => [message, to]),
      [
        ['payment_receipt', 'erin@example.com'],
        ['order_paid', 'carla@example.com'],
      ]
    )
    const paid = approved.find(([message]) => message === 'order_paid')!
    // 10% of $120.50 = $12.05: the contractor receives $108.45
    assert.include(paid[2], '$108.45')
    const receipt = approved.find(([message]) => message === 'payment_receipt')!
    assert.include(receipt[2], '$120.50')
    assert.match(receipt[3].text, /Visa ending in 4242/)
    assert.notMatch(receipt[3].text, /4242424242424242/)
    seen = mails.sent().length

    await refundOrder(order.id, { actor: 'console:test', amount: 4000 })
    const refunded = await mailsTo(mails, seen)
    assert.sameDeepMembers(
      refunded.map(([message, to]) => [message, to]),
      [
        ['refund_issued', 'erin@example.com'],
        ['refund_reversed', 'carla@example.com'],
      ]
    )
    assert.include(refunded.find(([message]) => message === 'refund_issued')![2], '$40.00')
    // $40.00 of the $120.50 transfer reversed ($40.00), $4.00 of the fee given back: $36.00 taken
    const reversed = refunded.find(([message]) => message === 'refund_reversed')!
    assert.include(reversed[2], '$36.00')

    // Replaying what happened sends nothing again
    const { payment: settled } = await stateOf(order)
    await approveLines(order.id, null, actors.admin('console:test')).catch(() => null)
    assert.lengthOf(await mailsTo(mails, mails.sent().length), 0)
    assert.equal(settled.status, 'partially_refunded')
  })

  test('a decline tells the employer the reason; an employer cancel tells the contractor', async ({
    assert,
  }) => {
    const mails = fakeMail()
    const { contractor, employer, service } = await parties()
    const declined = await placeTestOrder(employer, service)
    const canceled = await placeTestOrder(employer, service)
    const seen = await sentCount(mails)

    await declineLine(declined.id, null, contractor, 'Fully booked until March')
    await cancelLines(canceled.id, null, actors.party('employer', employer.id))
    const sent = await mailsTo(mails, seen)
    assert.sameDeepMembers(
      sent.map(([message, to]) => [message, to]),
      [
        ['order_declined', 'erin@example.com'],
        ['order_canceled', 'carla@example.com'],
      ]
    )
    const decline = sent.find(([message]) => message === 'order_declined')!
    assert.include(decline[3].text, 'Fully booked until March')
    assert.include(decline[3].text, `/orders/${declined.id}`)
  })

  test('each contractor of a cart hears only of their own line, with their own amount', async ({
    assert,
  }) => {
    const mails = fakeMail()
    const { contractor, employer, service } = await parties()
    const other = await createActiveContractor({ email: 'olga@example.com' })
    const fence = await createService(other, { title: 'Garden fence', price: 30000 })
    await placeTestOrder(employer, [service, fence])

    const sent = await mailsTo(mails, 0)
    const requests = sent.filter(([message]) => message === 'order_requested')
    assert.sameDeepMembers(
      requests.map(([, to]) => to),
      ['carla@example.com', 'olga@example.com']
    )
    const carla = requests.find(([, to]) => to === 'carla@example.com')!
    assert.include(carla[2], '$120.50')
    assert.notInclude(carla[3].text, '$300.00')
    assert.notInclude(carla[3].text, 'Garden fence')
    // The employer paid at once: a receipt for the total
    const receipt = sent.find(([message]) => message === 'payment_receipt')!
    assert.equal(receipt[1], 'erin@example.com')
    assert.include(receipt[2], '$420.50')
    void contractor
  })

  test('a debit tells the contractor why; nothing is told when the change rolls back', async ({
    assert,
  }) => {
    const mails = fakeMail()
    const { contractor, employer, service } = await parties('pm_card_bypassPending')
    const order = await placeTestOrder(employer, service)
    await approveLines(order.id, null, actors.admin('console:test'))
    const seen = await sentCount(mails)

    await debitContractor({
      actor: 'console:test',
      contractor: contractor as User,
      amount: 1500,
      currency: 'usd',
      reason: 'Chargeback fee on a past order',
      orderId: order.id,
    })
    const sent = await mailsTo(mails, seen)
    assert.deepEqual(
      sent.map(([message, to]) => [message, to]),
      [['contractor_debited', 'carla@example.com']]
    )
    assert.include(sent[0][2], '$15.00')
    assert.include(sent[0][3].text, 'Chargeback fee on a past order')

    // A line change that rolls back mails nothing
    const before = mails.sent().length
    await db
      .transaction(async (trx) => {
        const { moveLine } = await import('#actions/orders/move_line')
        const { line } = await stateOf(order)
        line.status = 'delivered'
        await moveLine(trx, line, 'approve', actors.party('employer', employer.id))
        throw new Error('roll back')
      })
      .catch(() => null)
    assert.lengthOf(await mailsTo(mails, before), 0)
  })

  test('a day before an unapproved delivery is settled, the employer is reminded once', async ({
    assert,
  }) => {
    const mails = fakeMail()
    const { contractor, employer } = await parties()
    const other = await createActiveContractor({ email: 'olga@example.com' })
    const services = [
      await createService(contractor, { title: 'Kitchen repaint', price: 12050 }),
      await createService(other, { title: 'Garden fence', price: 30000 }),
    ]
    // Paid at once: a delivery is approved automatically after AUTO_APPROVE_DAYS
    const order = await placeTestOrder(employer, services)
    const { lines } = await stateOf(order)
    await acceptLine(order.id, lines[0].id, contractor)
    await deliverLine(order.id, lines[0].id, contractor)
    const seen = await sentCount(mails)

    const days = app.config.get<{ autoApproveDays: number }>('marketplace').autoApproveDays
    const { line } = await stateOf(order)
    const due = line.deliveredAt!.plus({ days })
    // The shared test clock may be anywhere: the moments are chosen
    assert.equal(await remindApprovals({ now: due.minus({ hours: 30 }) }), 0)
    assert.equal(await remindApprovals({ now: due.minus({ hours: 12 }) }), 1)
    assert.equal(await remindApprovals({ now: due.minus({ hours: 6 }) }), 0)
    assert.equal(await remindApprovals({ now: due.plus({ hours: 1 }) }), 0)

    const sent = await mailsTo(mails, seen)
    assert.deepEqual(
      sent.map(([message, to]) => [message, to]),
      [['approval_reminder', 'erin@example.com']]
    )
    assert.include(sent[0][3].text, '$120.50')
  })
})
