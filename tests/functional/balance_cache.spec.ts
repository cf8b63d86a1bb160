import { test } from '@japa/runner'
import ContractorDebit from '#models/contractor_debit'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor, stripeIdOf, withStripeUnreachable } from '#tests/helpers/stripe'

/*
| The balance page's copy of Stripe (load_balance.ts): kept briefly per
| contractor and page, saying when it was read; money the app moves for the
| contractor makes the next load read Stripe again. "Does not call Stripe"
| is shown with Stripe cut off: a copy still shows the figures, a read
| says Stripe is unreachable.
*/

const UNREACHABLE = 'Stripe is unreachable right now'

async function fundedContractor() {
  const contractor = await createActiveContractor({ fullName: 'Carla Contractor' })
  const intent = await stripe().paymentIntents.create({
    amount: 5000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    allowed_payment_method_types: ['card'],
    confirm: true,
    application_fee_amount: 500,
    transfer_data: { destination: await stripeIdOf(contractor) },
  })
  return { contractor, intent }
}

test.group('Balance page copy of Stripe', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a second load within the window is the copy, and says when it was read', async ({
    client,
    assert,
  }) => {
    const { contractor } = await fundedContractor()
    const first = await client.get('/balance').loginAs(contractor)
    first.assertStatus(200)
    first.assertTextIncludes('$45.00')
    const readAt = /data-read-at="([^"]+)"/.exec(first.text())?.[1]
    assert.isString(readAt)
    first.assertTextIncludes('As of ')

    const again = await withStripeUnreachable(() => client.get('/balance').loginAs(contractor))
    again.assertStatus(200)
    assert.notInclude(again.text(), UNREACHABLE)
    again.assertTextIncludes('$45.00')
    // The same reading, with the same time
    assert.equal(/data-read-at="([^"]+)"/.exec(again.text())?.[1], readAt)
  })

  test('money the app moves for the contractor drops the copy', async ({ client, assert }) => {
    const { contractor } = await fundedContractor()
    const first = await client.get('/balance').loginAs(contractor)
    first.assertTextIncludes('$45.00')

    // A debit written for this contractor (as the console's debit does before sending it)
    await ContractorDebit.create({
      contractorId: contractor.id,
      amount: 1000,
      currency: 'usd',
      reason: 'Test debit',
      status: 'owed',
      initiatedBy: 'admin:test',
    })
    const after = await withStripeUnreachable(() => client.get('/balance').loginAs(contractor))
    after.assertStatus(200)
    assert.include(after.text(), UNREACHABLE)
  })

  test("another contractor's copy is not dropped, nor shown", async ({ client, assert }) => {
    const { contractor } = await fundedContractor()
    const other = await createActiveContractor({ fullName: 'Olga Other' })
    await client.get('/balance').loginAs(contractor)
    const theirs = await client.get('/balance').loginAs(other)
    assert.notInclude(theirs.text(), '$45.00')

    await ContractorDebit.create({
      contractorId: other.id,
      amount: 1000,
      currency: 'usd',
      reason: 'Test debit',
      status: 'owed',
      initiatedBy: 'admin:test',
    })
    const mine = await withStripeUnreachable(() => client.get('/balance').loginAs(contractor))
    assert.notInclude(mine.text(), UNREACHABLE)
    mine.assertTextIncludes('$45.00')
  })
})
