import { test } from '@japa/runner'
import { readFileSync } from 'node:fs'
import type Stripe from 'stripe'
import { activeAccount, advance, DAY, type Harness, startHarness } from './helpers.js'

/*
 * Every object type the sandbox produces carries the keys of Stripe's
 * official example object (tests/sandbox/fixtures/stripe_objects.json,
 * copied from stripe-fixtures3.json). Extra keys are allowed only where
 * Stripe itself adds them for this kind of object (listed per type).
 */

const fixtures = JSON.parse(
  readFileSync(new URL('./fixtures/stripe_objects.json', import.meta.url), 'utf8')
) as Record<string, Record<string, unknown>>

const EXTRAS: Record<string, string[]> = {
  customer: ['customer_account'],
  setup_intent: ['allowed_payment_method_types'],
  payment_intent: ['allowed_payment_method_types', 'payment_record'],
  // `transfer` is present on destination charges only
  charge: ['transfer'],
  // a custom account with business_type=individual embeds the person
  account: ['individual'],
  // external accounts say which account they belong to and whether they are the default
  bank_account: ['account', 'available_payout_methods', 'default_for_currency'],
  // events of connected accounts name the account
  event: ['account'],
  person: ['address', 'email', 'phone'],
  // in stripe-node v23's Dispute type, not in the (older) fixture
  dispute: ['intended_submission_method'],
}

type Assert = Parameters<Parameters<typeof test>[1] & object>[0]['assert']

function keysOf(value: unknown): string[] {
  return Object.keys(value as object).filter((k) => k !== 'lastResponse')
}

function assertShape(
  assert: Assert,
  type: string,
  actual: unknown,
  fixture: unknown,
  extras: string[] = []
) {
  const actualKeys = keysOf(actual)
  const expected = keysOf(fixture)
  const missing = expected.filter((k) => !actualKeys.includes(k))
  const unexpected = actualKeys.filter((k) => !expected.includes(k) && !extras.includes(k))
  assert.deepEqual(missing, [], `${type}: keys missing compared with Stripe's fixture`)
  assert.deepEqual(unexpected, [], `${type}: keys Stripe's fixture does not have`)
}

function fixtureOf(type: string): Record<string, any> {
  return fixtures[type] as Record<string, any>
}

test.group('Object shapes match Stripe’s fixtures', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('every object type the sandbox produces has Stripe’s keys', async ({ assert }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const customer = await stripe.customers.create({ email: 'shape@example.com' })
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id })
    const si = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_mastercard',
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    const pi = await stripe.paymentIntents.create({
      amount: 10000,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm.id,
      confirm: true,
      capture_method: 'manual',
      application_fee_amount: 1000,
      transfer_data: { destination: account.id },
      allowed_payment_method_types: ['card'],
    })
    const captured = await stripe.paymentIntents.capture(pi.id)
    const charge = await stripe.charges.retrieve(captured.latest_charge as string)
    await advance(stripe, 2 * DAY + 1)
    const refund = await stripe.refunds.create({
      charge: charge.id,
      amount: 5000,
      reverse_transfer: true,
      refund_application_fee: true,
    })
    const transfer = await stripe.transfers.retrieve(charge.transfer as string)
    const reversal = transfer.reversals.data[0]
    const fee = await stripe.applicationFees.retrieve(charge.application_fee as string)
    const feeRefund = fee.refunds.data[0]
    const bank = account.external_accounts!.data[0]
    const file = await stripe.files.create({
      purpose: 'identity_document',
      file: { data: Buffer.from('%PDF-1.4 sandbox'), name: 'id.pdf', type: 'application/pdf' },
    })
    const balance = await stripe.balance.retrieve()
    const txn = await stripe.balanceTransactions.retrieve(charge.balance_transaction as string)
    const payout = await stripe.payouts.create(
      { amount: 1000, currency: 'usd' },
      { stripeAccount: account.id }
    )
    const captures = await stripe.events.list({ type: 'charge.captured' })
    const event = captures.data[0]
    const accountEvents = await stripe.events.list(
      { type: 'account.updated' },
      { stripeAccount: account.id }
    )
    const connectedEvent = accountEvents.data[0]
    const endpoint = await stripe.webhookEndpoints.create({
      url: 'http://127.0.0.1:9/unused',
      enabled_events: ['charge.succeeded'],
    })
    const storedEndpoint = await stripe.webhookEndpoints.retrieve(endpoint.id)
    const capability = await stripe.accounts.retrieveCapability(account.id, 'transfers')
    const disputed = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_createDispute',
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    const disputes = await stripe.disputes.list({ payment_intent: disputed.id })
    const dispute = disputes.data[0]
    const fetchedAccount = await stripe.accounts.retrieve(account.id)

    const produced: Array<[string, unknown]> = [
      ['customer', customer],
      ['payment_method', pm],
      ['setup_intent', si],
      ['payment_intent', captured],
      ['charge', charge],
      ['refund', refund],
      ['transfer', transfer],
      ['transfer_reversal', reversal],
      ['application_fee', fee],
      ['fee_refund', feeRefund],
      ['account', fetchedAccount],
      ['bank_account', bank],
      ['file', file],
      ['balance', balance],
      ['balance_transaction', txn],
      ['payout', payout],
      ['event', event],
      ['event', connectedEvent],
      ['webhook_endpoint', storedEndpoint],
      ['capability', capability],
      ['person', fetchedAccount.individual],
      ['dispute', dispute],
    ]
    for (const [type, object] of produced) {
      assertShape(assert, type, object, fixtureOf(type), EXTRAS[type])
      assert.equal((object as { object: string }).object, fixtureOf(type).object, type)
    }
    assertShape(assert, 'webhook_endpoint (create)', endpoint, fixtureOf('webhook_endpoint'), [
      'secret',
    ])
    const disputeFixture = fixtureOf('dispute')
    assertShape(assert, 'dispute.evidence', dispute.evidence, disputeFixture.evidence)
    assertShape(
      assert,
      'dispute.evidence_details',
      dispute.evidence_details,
      disputeFixture.evidence_details,
      ['submission_method']
    )
    assertShape(
      assert,
      'dispute.payment_method_details.card',
      dispute.payment_method_details?.card,
      disputeFixture.payment_method_details.card
    )
    assertShape(
      assert,
      'dispute.balance_transactions[]',
      dispute.balance_transactions[0],
      fixtureOf('balance_transaction')
    )
  })

  test('nested hashes match too: card details, outcome, requirements, settings, balance', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const pm = await stripe.paymentMethods.retrieve('pm_card_visa')
    assertShape(assert, 'payment_method.card', pm.card, fixtureOf('payment_method').card)
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      allowed_payment_method_types: ['card'],
      expand: ['latest_charge'],
    })
    const charge = pi.latest_charge as Stripe.Charge
    assertShape(
      assert,
      'charge.payment_method_details.card',
      charge.payment_method_details?.card,
      fixtureOf('charge').payment_method_details.card,
      ['capture_before']
    )
    assertShape(assert, 'charge.outcome', charge.outcome, fixtureOf('charge').outcome, [
      'risk_level',
      'risk_score',
    ])
    assertShape(assert, 'charge.refunds', charge.refunds, fixtureOf('charge').refunds)
    assertShape(
      assert,
      'account.requirements',
      account.requirements,
      fixtureOf('account').requirements
    )
    assertShape(assert, 'account.settings', account.settings, fixtureOf('account').settings)
    assertShape(
      assert,
      'account.business_profile',
      account.business_profile,
      fixtureOf('account').business_profile
    )
    const balance = await stripe.balance.retrieve()
    assertShape(
      assert,
      'balance.available[]',
      balance.available[0],
      fixtureOf('balance').available[0]
    )
    const txn = await stripe.balanceTransactions.retrieve(charge.balance_transaction as string)
    assertShape(assert, 'balance_transaction.fee_details[]', txn.fee_details[0], {
      amount: 0,
      application: null,
      currency: 'usd',
      description: '',
      type: '',
    })
  })
})
