import { test } from '@japa/runner'
import User from '#models/user'
import Order from '#models/order'
import Service from '#models/service'
import BankAccount from '#models/bank_account'
import { truncateAllTables } from '#tests/helpers/database'
import { stripeIdOf } from '#tests/helpers/stripe'
import { stateOf } from '#tests/helpers/orders'
import { stripe } from '#stripe/client'
import {
  DEMO_EMPLOYER,
  DEMO_PASSWORD,
  seedDemoMarketplace,
} from '#actions/demo/seed_demo_marketplace'

test.group('Demo marketplace', (group) => {
  group.each.setup(() => truncateAllTables())

  test('seeds an empty database once, through the sandbox', async ({ assert, client }) => {
    assert.isTrue(await seedDemoMarketplace())

    const users = await User.query().orderBy('id')
    assert.deepEqual(users.map((user) => user.role).sort(), [
      'admin',
      'contractor',
      'contractor',
      'contractor',
      'employer',
    ])
    assert.lengthOf(await Service.all(), 6)
    const orders = await Order.query().orderBy('id')
    const states = await Promise.all(orders.map((order) => stateOf(order)))
    const [renovation] = states.filter(({ lines }) => lines.length > 1)
    assert.equal(renovation.payment.flow, 'charge')
    assert.equal(renovation.payment.status, 'succeeded')
    assert.sameMembers(
      renovation.lines.map((line) => line.status),
      ['delivered', 'accepted', 'requested']
    )
    assert.sameDeepMembers(
      states
        .filter(({ lines }) => lines.length === 1)
        .map(({ line, payment }) => [line.status, payment.status]),
      [
        ['requested', 'authorized'],
        ['accepted', 'authorized'],
        ['delivered', 'authorized'],
        ['approved', 'succeeded'],
        ['canceled', 'canceled'],
        ['requested', 'processing'],
      ]
    )
    // The order paid by bank: processing, with the date it should clear
    const [byBank] = states.filter(({ payment }) => payment.methodType === 'us_bank_account')
    assert.equal(byBank.payment.flow, 'charge')
    assert.isNotNull(byBank.payment.expectedAt)

    const employer = await User.findByOrFail('email', DEMO_EMPLOYER)
    const cards = await stripe().paymentMethods.list({
      customer: await stripeIdOf(employer),
      type: 'card',
    })
    assert.lengthOf(cards.data, 2)
    const banks = await BankAccount.query().where('employerId', employer.id)
    assert.lengthOf(banks, 1)
    assert.equal(banks[0].status, 'verified')
    assert.equal(banks[0].label, 'STRIPE TEST BANK ···· 6789')
    assert.equal(banks[0].stripePaymentMethodId, byBank.payment.paymentMethodId)

    const login = await client
      .post('/login')
      .withCsrfToken()
      .form({ email: DEMO_EMPLOYER, password: DEMO_PASSWORD })
      .redirects(0)
    login.assertHeader('location', '/')

    assert.isFalse(await seedDemoMarketplace())
    assert.lengthOf(await User.all(), 5)
  })
})
