import { test } from '@japa/runner'
import type Stripe from 'stripe'
import {
  activeAccount,
  advance,
  DAY,
  fundPlatform,
  type Harness,
  startHarness,
  stripeError,
  usdBalance,
} from './helpers.js'

const card = { allowed_payment_method_types: ['card'] }

/** A $100 destination charge with a $10 application fee, held then captured. */
async function destinationCharge(
  stripe: Stripe,
  destination: string,
  options: { amount?: number; fee?: number; capture?: Stripe.PaymentIntentCaptureParams } = {}
) {
  const pi = await stripe.paymentIntents.create({
    amount: options.amount ?? 10000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    capture_method: 'manual',
    confirm: true,
    application_fee_amount: options.fee ?? 1000,
    transfer_data: { destination },
    transfer_group: 'order_1',
    ...card,
  })
  const captured = await stripe.paymentIntents.capture(pi.id, options.capture ?? {})
  const charge = await stripe.charges.retrieve(captured.latest_charge as string)
  return { pi: captured, charge }
}

async function txnsOf(stripe: Stripe, account?: string) {
  const list = await stripe.balanceTransactions.list(
    { limit: 100 },
    account ? { stripeAccount: account } : {}
  )
  return list.data
}

test.group('Destination charges', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('capture moves the money to the cent on both sides', async ({ assert }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const pi = await stripe.paymentIntents.create({
      amount: 10000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      capture_method: 'manual',
      confirm: true,
      application_fee_amount: 1000,
      transfer_data: { destination: account.id },
      transfer_group: 'order_7',
      ...card,
    })
    // Nothing moves while the card is only held.
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 0 })
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 0, pending: 0 })
    const transfers = await stripe.transfers.list()
    assert.lengthOf(transfers.data, 0)

    await stripe.paymentIntents.capture(pi.id)
    const charge = await stripe.charges.retrieve(pi.latest_charge as string, {
      expand: ['balance_transaction', 'transfer'],
    })
    const chargeTxn = charge.balance_transaction as Stripe.BalanceTransaction
    assert.equal(chargeTxn.amount, 10000)
    assert.equal(chargeTxn.fee, 320)
    assert.equal(chargeTxn.net, 9680)
    assert.equal(chargeTxn.fee_details[0].type, 'stripe_fee')
    assert.equal(charge.application_fee_amount, 1000)
    assert.equal(charge.transfer_group, 'order_7')
    const transfer = charge.transfer as Stripe.Transfer
    assert.match(transfer.id, /^tr_/)
    assert.equal(transfer.amount, 10000)
    assert.equal(transfer.destination, account.id)
    assert.equal(transfer.source_transaction, charge.id)
    assert.equal(transfer.transfer_group, 'order_7')
    assert.match(transfer.destination_payment as string, /^py_/)

    const fee = await stripe.applicationFees.retrieve(charge.application_fee as string)
    assert.match(fee.id, /^fee_/)
    assert.equal(fee.amount, 1000)
    assert.equal(fee.account, account.id)
    assert.equal(fee.charge, transfer.destination_payment)
    assert.equal(fee.originating_transaction, charge.id)

    const platformTxns = await txnsOf(stripe)
    assert.sameDeepMembers(
      platformTxns.map((t) => [t.type, t.amount, t.fee, t.net, t.status]),
      [
        ['charge', 10000, 320, 9680, 'pending'],
        ['transfer', -10000, 0, -10000, 'pending'],
        ['application_fee', 1000, 0, 1000, 'pending'],
      ]
    )
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 680 })

    const payment = await stripe.charges.retrieve(
      transfer.destination_payment as string,
      {},
      { stripeAccount: account.id }
    )
    assert.equal(payment.amount, 10000)
    assert.equal(payment.source_transfer, transfer.id)
    const connectedTxns = await txnsOf(stripe, account.id)
    assert.lengthOf(connectedTxns, 1)
    const paymentTxn = connectedTxns[0]
    assert.equal(paymentTxn.type, 'payment')
    assert.equal(paymentTxn.amount, 10000)
    assert.equal(paymentTxn.fee, 1000)
    assert.equal(paymentTxn.net, 9000)
    assert.deepEqual(
      paymentTxn.fee_details.map((d) => [d.type, d.amount]),
      [['application_fee', 1000]]
    )
    assert.equal(paymentTxn.available_on, chargeTxn.available_on)
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 0, pending: 9000 })

    await advance(stripe, 2 * DAY + 1)
    assert.deepEqual(await usdBalance(stripe), { available: 680, pending: 0 })
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 9000, pending: 0 })
    const connectedAvailable = await stripe.events.list(
      { type: 'balance.available' },
      { stripeAccount: account.id }
    )
    assert.equal(connectedAvailable.data[0].account, account.id)
  })

  test('partial capture with an application fee overridden at capture (capped)', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const { charge } = await destinationCharge(stripe, account.id, {
      capture: { amount_to_capture: 6000, application_fee_amount: 600 },
    })
    assert.equal(charge.amount_captured, 6000)
    assert.equal(charge.application_fee_amount, 600)
    const transfer = await stripe.transfers.retrieve(charge.transfer as string)
    assert.equal(transfer.amount, 6000)
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 0, pending: 5400 })
    // fee 2.9% of 6000 = 174 + 30
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 600 - 204 })

    const capped = await destinationCharge(stripe, account.id, {
      capture: { amount_to_capture: 500, application_fee_amount: 900 },
    })
    assert.equal(capped.charge.application_fee_amount, 500)
  })

  test('transfer_data[amount] transfers only that amount, without an application fee', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      transfer_data: { destination: account.id, amount: 800 },
      ...card,
    })
    const charge = await stripe.charges.retrieve(pi.latest_charge as string)
    assert.isNull(charge.application_fee)
    const transfer = await stripe.transfers.retrieve(charge.transfer as string)
    assert.equal(transfer.amount, 800)
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 0, pending: 800 })
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 1000 - 59 - 800 })
    const refund = await stripe.refunds.create({
      payment_intent: pi.id,
      amount: 400,
      reverse_transfer: true,
    })
    const reversal = await stripe.transfers.retrieveReversal(
      transfer.id,
      refund.transfer_reversal as string
    )
    assert.equal(reversal.amount, 320)
  })

  test('a destination without an active transfers capability is refused', async ({ assert }) => {
    const stripe = h.client()
    const account = await stripe.accounts.create({
      type: 'custom',
      country: 'US',
      capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
    })
    assert.equal(account.capabilities?.transfers, 'inactive')
    const error = await stripeError(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        transfer_data: { destination: account.id },
        application_fee_amount: 100,
        ...card,
      })
    )
    assert.equal(error.statusCode, 400)
    assert.equal(error.code, 'insufficient_capabilities_for_transfer')
    assert.equal(
      error.message,
      'Your destination account needs to have at least one of the following capabilities ' +
        'enabled: transfers, crypto_transfers, legacy_payments'
    )
    await fundPlatform(stripe, 5000)
    const transfer = await stripeError(
      stripe.transfers.create({ amount: 100, currency: 'usd', destination: account.id })
    )
    assert.equal(transfer.code, 'insufficient_capabilities_for_transfer')
    const unknown = await stripeError(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        transfer_data: { destination: 'acct_unknown' },
        ...card,
      })
    )
    assert.equal(unknown.code, 'resource_missing')
    assert.equal(unknown.param, 'transfer_data[destination]')
  })

  test('application_fee_amount needs a destination and cannot exceed the amount', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const noDestination = await stripeError(
      stripe.paymentIntents.create({ amount: 1000, currency: 'usd', application_fee_amount: 10 })
    )
    assert.equal(noDestination.param, 'application_fee_amount')
    const tooBig = await stripeError(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        application_fee_amount: 1001,
        transfer_data: { destination: account.id },
      })
    )
    assert.equal(tooBig.param, 'application_fee_amount')
  })
})

test.group('Refunds', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('full refund with reverse_transfer and refund_application_fee', async ({ assert }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const { pi, charge } = await destinationCharge(stripe, account.id)
    await advance(stripe, 2 * DAY + 1)
    const refund = await stripe.refunds.create({
      payment_intent: pi.id,
      reverse_transfer: true,
      refund_application_fee: true,
      reason: 'requested_by_customer',
      metadata: { order_id: '1' },
    })
    assert.match(refund.id, /^re_/)
    assert.equal(refund.amount, 10000)
    assert.equal(refund.status, 'succeeded')
    assert.equal(refund.reason, 'requested_by_customer')
    assert.deepEqual(refund.metadata, { order_id: '1' })
    assert.match(refund.transfer_reversal as string, /^trr_/)
    const refundTxn = await stripe.balanceTransactions.retrieve(
      refund.balance_transaction as string
    )
    assert.deepEqual(
      [refundTxn.type, refundTxn.amount, refundTxn.fee, refundTxn.net],
      ['refund', -10000, 0, -10000]
    )

    const after = await stripe.charges.retrieve(charge.id)
    assert.isTrue(after.refunded)
    assert.equal(after.amount_refunded, 10000)
    const transfer = await stripe.transfers.retrieve(charge.transfer as string)
    assert.isTrue(transfer.reversed)
    assert.equal(transfer.amount_reversed, 10000)
    const reversal = transfer.reversals.data[0]
    assert.equal(reversal.source_refund, refund.id)
    assert.match(reversal.destination_payment_refund as string, /^pyr_/)
    const fee = await stripe.applicationFees.retrieve(charge.application_fee as string)
    assert.isTrue(fee.refunded)
    assert.equal(fee.amount_refunded, 1000)
    assert.match(fee.refunds.data[0].id, /^fr_/)

    // The platform is left with the lost processing fee, the contractor with nothing.
    assert.deepEqual(await usdBalance(stripe), { available: -320, pending: 0 })
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 0, pending: 0 })
    const platformTxns = await txnsOf(stripe)
    const platformTypes = platformTxns.map((t) => [t.type, t.amount])
    assert.includeDeepMembers(platformTypes, [
      ['refund', -10000],
      ['transfer_refund', 10000],
      ['application_fee_refund', -1000],
    ])
    const connectedTxns = await txnsOf(stripe, account.id)
    const connectedTypes = connectedTxns.map((t) => [t.type, t.amount])
    assert.includeDeepMembers(connectedTypes, [
      ['payment_refund', -10000],
      ['application_fee_refund', 1000],
    ])
    const pyr = await stripe.refunds.retrieve(
      reversal.destination_payment_refund as string,
      {},
      { stripeAccount: account.id }
    )
    assert.equal(pyr.amount, 10000)
    assert.equal(pyr.charge, transfer.destination_payment)

    const recent = await stripe.events.list({ limit: 30 })
    const events = recent.data.map((e) => e.type)
    assert.includeMembers(events, [
      'refund.created',
      'charge.refunded',
      'transfer.reversed',
      'application_fee.refunded',
    ])
  })

  test('partial refunds reverse and refund the fee proportionally', async ({ assert }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const { charge } = await destinationCharge(stripe, account.id)
    const first = await stripe.refunds.create({
      charge: charge.id,
      amount: 4000,
      reverse_transfer: true,
      refund_application_fee: true,
    })
    const reversal = await stripe.transfers.retrieveReversal(
      charge.transfer as string,
      first.transfer_reversal as string
    )
    assert.equal(reversal.amount, 4000)
    let fee = await stripe.applicationFees.retrieve(charge.application_fee as string)
    assert.equal(fee.amount_refunded, 400)
    assert.isFalse(fee.refunded)
    let after = await stripe.charges.retrieve(charge.id)
    assert.equal(after.amount_refunded, 4000)
    assert.isFalse(after.refunded)
    // pending: 9000 − 4000 + 400 on the connected account; 680 − 4000 + 4000 − 400 on the platform
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 400 - 4000, pending: 9000 })
    assert.deepEqual(await usdBalance(stripe), { available: -400, pending: 680 })

    await stripe.refunds.create({
      charge: charge.id,
      reverse_transfer: true,
      refund_application_fee: true,
    })
    after = await stripe.charges.retrieve(charge.id)
    assert.isTrue(after.refunded)
    fee = await stripe.applicationFees.retrieve(charge.application_fee as string)
    assert.equal(fee.amount_refunded, 1000)
    const transfer = await stripe.transfers.retrieve(charge.transfer as string)
    assert.equal(transfer.amount_reversed, 10000)
    const connected = await usdBalance(stripe, account.id)
    assert.equal(connected.available + connected.pending, 0)
    const platform = await usdBalance(stripe)
    assert.equal(platform.available + platform.pending, -320)
  })

  test('a refund without reverse_transfer is paid by the platform alone', async ({ assert }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const { charge } = await destinationCharge(stripe, account.id)
    const refund = await stripe.refunds.create({ charge: charge.id, amount: 2500 })
    assert.isNull(refund.transfer_reversal)
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 0, pending: 9000 })
    assert.deepEqual(await usdBalance(stripe), { available: -2500, pending: 680 })
  })

  test('over-refunds are refused; a fully refunded charge cannot be refunded again', async ({
    assert,
  }) => {
    const stripe = h.client()
    const pi = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      ...card,
    })
    const tooMuch = await stripeError(
      stripe.refunds.create({ payment_intent: pi.id, amount: 5001 })
    )
    assert.equal(tooMuch.statusCode, 400)
    assert.equal(tooMuch.code, 'amount_too_large')
    assert.equal(
      tooMuch.message,
      'Refund amount ($50.01 usd) is greater than unrefunded amount on charge ($50.00 usd)'
    )
    await stripe.refunds.create({ payment_intent: pi.id, amount: 3000 })
    const rest = await stripeError(stripe.refunds.create({ payment_intent: pi.id, amount: 2001 }))
    assert.equal(rest.code, 'amount_too_large')
    await stripe.refunds.create({ payment_intent: pi.id })
    const again = await stripeError(stripe.refunds.create({ payment_intent: pi.id }))
    assert.equal(again.code, 'charge_already_refunded')
    const list = await stripe.refunds.list({ payment_intent: pi.id })
    assert.deepEqual(
      list.data.map((r) => r.amount),
      [2000, 3000]
    )
    const held = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      capture_method: 'manual',
      ...card,
    })
    const uncaptured = await stripeError(stripe.refunds.create({ payment_intent: held.id }))
    assert.equal(uncaptured.statusCode, 400)
  })

  test('a refund after partial capture is limited to the captured amount', async ({ assert }) => {
    const stripe = h.client()
    const pi = await stripe.paymentIntents.create({
      amount: 10000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      capture_method: 'manual',
      ...card,
    })
    await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 6000 })
    const over = await stripeError(stripe.refunds.create({ payment_intent: pi.id, amount: 6001 }))
    assert.equal(over.code, 'amount_too_large')
    const refund = await stripe.refunds.create({ payment_intent: pi.id })
    assert.equal(refund.amount, 6000)
    const charge = await stripe.charges.retrieve(pi.latest_charge as string)
    assert.isTrue(charge.refunded)
  })

  test('a reversal the connected balance cannot cover is refused and nothing changes', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const { charge } = await destinationCharge(stripe, account.id)
    await advance(stripe, 2 * DAY + 1)
    // The contractor pays everything out.
    await stripe.payouts.create({ amount: 9000, currency: 'usd' }, { stripeAccount: account.id })
    const platformBefore = await usdBalance(stripe)
    const error = await stripeError(
      stripe.refunds.create({
        charge: charge.id,
        reverse_transfer: true,
        refund_application_fee: true,
      })
    )
    assert.equal(error.statusCode, 400)
    assert.equal(error.type, 'StripeInvalidRequestError')
    assert.equal(error.code, 'balance_insufficient')
    assert.include(error.message, 'insufficient funds to reverse')
    const unchanged = await stripe.charges.retrieve(charge.id)
    assert.equal(unchanged.amount_refunded, 0)
    const refunds = await stripe.refunds.list({ charge: charge.id })
    assert.lengthOf(refunds.data, 0)
    assert.deepEqual(await usdBalance(stripe), platformBefore)
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 0, pending: 0 })
    const transfer = await stripe.transfers.retrieve(charge.transfer as string)
    assert.equal(transfer.amount_reversed, 0)
    // Without reversal the platform can still refund on its own.
    const refund = await stripe.refunds.create({ charge: charge.id })
    assert.equal(refund.amount, 10000)
  })
})

test.group('Separate charges and transfers, account debits', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('a transfer with source_transaction inherits the charge’s pending period', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const pi = await stripe.paymentIntents.create({
      amount: 10000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      ...card,
    })
    const charge = pi.latest_charge as string
    const transfer = await stripe.transfers.create({
      amount: 7000,
      currency: 'usd',
      destination: account.id,
      source_transaction: charge,
      metadata: { seller: 'a' },
    })
    assert.match(transfer.id, /^tr_/)
    assert.equal(transfer.source_transaction, charge)
    assert.equal(transfer.transfer_group, `group_${pi.id}`)
    assert.deepEqual(transfer.metadata, { seller: 'a' })
    const updatedCharge = await stripe.charges.retrieve(charge)
    assert.equal(updatedCharge.transfer_group, `group_${pi.id}`)
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 0, pending: 7000 })
    assert.deepEqual(await usdBalance(stripe), { available: 0, pending: 9680 - 7000 })
    const over = await stripeError(
      stripe.transfers.create({
        amount: 3001,
        currency: 'usd',
        destination: account.id,
        source_transaction: charge,
      })
    )
    assert.equal(over.statusCode, 400)
    const byGroup = await stripe.transfers.list({ transfer_group: `group_${pi.id}` })
    assert.deepEqual(
      byGroup.data.map((t) => t.id),
      [transfer.id]
    )
    await advance(stripe, 2 * DAY + 1)
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 7000, pending: 0 })
  })

  test('a transfer without source_transaction draws on the available balance', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const broke = await stripeError(
      stripe.transfers.create({ amount: 1000, currency: 'usd', destination: account.id })
    )
    assert.equal(broke.statusCode, 400)
    assert.equal(broke.code, 'balance_insufficient')
    assert.match(broke.message, /^You have insufficient funds in your Stripe account/)
    await fundPlatform(stripe, 10000)
    assert.deepEqual(await usdBalance(stripe), { available: 9680, pending: 0 })
    const transfer = await stripe.transfers.create({
      amount: 1000,
      currency: 'usd',
      destination: account.id,
      transfer_group: 'ORDER100',
    })
    assert.isNull(transfer.source_transaction)
    assert.deepEqual(await usdBalance(stripe), { available: 8680, pending: 0 })
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 1000, pending: 0 })
    const byDestination = await stripe.transfers.list({ destination: account.id })
    assert.deepEqual(
      byDestination.data.map((t) => t.id),
      [transfer.id]
    )

    const reversal = await stripe.transfers.createReversal(transfer.id, { amount: 400 })
    assert.match(reversal.id, /^trr_/)
    assert.equal(reversal.amount, 400)
    const txn = await stripe.balanceTransactions.retrieve(reversal.balance_transaction as string)
    assert.deepEqual([txn.type, txn.amount], ['transfer_refund', 400])
    const partly = await stripe.transfers.retrieve(transfer.id)
    assert.equal(partly.amount_reversed, 400)
    assert.isFalse(partly.reversed)
    assert.deepEqual(await usdBalance(stripe), { available: 9080, pending: 0 })
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 600, pending: 0 })
    const tooMuch = await stripeError(stripe.transfers.createReversal(transfer.id, { amount: 601 }))
    assert.equal(tooMuch.statusCode, 400)
    const rest = await stripe.transfers.createReversal(transfer.id)
    assert.equal(rest.amount, 600)
    const reversals = await stripe.transfers.listReversals(transfer.id)
    assert.deepEqual(
      reversals.data.map((r) => r.amount),
      [600, 400]
    )
    const reversed = await stripe.transfers.retrieve(transfer.id)
    assert.isTrue(reversed.reversed)
  })

  test('account debit: a py_ on the platform, a transfer out of the connected account', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    await destinationCharge(stripe, account.id)
    const pending = await stripeError(
      stripe.charges.create({ amount: 3000, currency: 'usd', source: account.id })
    )
    assert.equal(pending.code, 'balance_insufficient')
    await advance(stripe, 2 * DAY + 1)
    const debit = await stripe.charges.create({
      amount: 3000,
      currency: 'usd',
      source: account.id,
      description: 'Platform fee adjustment',
      metadata: { reason: 'chargeback' },
    })
    assert.match(debit.id, /^py_/)
    assert.equal(debit.object, 'charge')
    assert.equal(debit.status, 'succeeded')
    assert.equal(debit.amount, 3000)
    assert.deepEqual(debit.metadata, { reason: 'chargeback' })
    const txn = await stripe.balanceTransactions.retrieve(debit.balance_transaction as string)
    assert.deepEqual([txn.type, txn.amount, txn.status], ['payment', 3000, 'available'])
    assert.deepEqual(await usdBalance(stripe), { available: 680 + 3000, pending: 0 })
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 6000, pending: 0 })
    const connectedTxns = await txnsOf(stripe, account.id)
    const connectedTransfer = connectedTxns.find((t) => t.type === 'transfer')
    assert.equal(connectedTransfer?.amount, -3000)
    const tooMuch = await stripeError(
      stripe.charges.create({ amount: 6001, currency: 'usd', source: account.id })
    )
    assert.equal(tooMuch.statusCode, 400)
    assert.equal(tooMuch.code, 'balance_insufficient')
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 6000, pending: 0 })

    // Refunding the debit gives the money back to the connected account.
    const refund = await stripe.refunds.create({ charge: debit.id, amount: 1000 })
    assert.match(refund.id, /^pyr_/)
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 7000, pending: 0 })
    assert.deepEqual(await usdBalance(stripe), { available: 680 + 2000, pending: 0 })
  })

  test('a connected account can transfer to its platform from its available balance', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const platform = await stripe.accounts.retrieveCurrent()
    await fundPlatform(stripe, 10000)
    await stripe.transfers.create({ amount: 2000, currency: 'usd', destination: account.id })
    const back = await stripe.transfers.create(
      { amount: 500, currency: 'usd', destination: platform.id },
      { stripeAccount: account.id }
    )
    assert.equal(back.destination, platform.id)
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 1500, pending: 0 })
    assert.deepEqual(await usdBalance(stripe), { available: 9680 - 2000 + 500, pending: 0 })
    const elsewhere = await stripeError(
      stripe.transfers.create(
        { amount: 100, currency: 'usd', destination: 'acct_other' },
        { stripeAccount: account.id }
      )
    )
    assert.equal(elsewhere.param, 'destination')
    const tooMuch = await stripeError(
      stripe.transfers.create(
        { amount: 1501, currency: 'usd', destination: platform.id },
        { stripeAccount: account.id }
      )
    )
    assert.equal(tooMuch.code, 'balance_insufficient')
  })
})

test.group('Payouts, application fees, balances via Stripe-Account', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  test('a payout goes pending → paid on the clock and debits the available balance', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    await destinationCharge(stripe, account.id)
    const early = await stripeError(
      stripe.payouts.create({ amount: 100, currency: 'usd' }, { stripeAccount: account.id })
    )
    assert.equal(early.code, 'balance_insufficient')
    await advance(stripe, 2 * DAY + 1)
    const payout = await stripe.payouts.create(
      { amount: 5000, currency: 'usd', metadata: { week: '1' } },
      { stripeAccount: account.id }
    )
    assert.match(payout.id, /^po_/)
    assert.equal(payout.status, 'pending')
    assert.match(payout.destination as string, /^ba_/)
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 4000, pending: 0 })
    const txn = await stripe.balanceTransactions.retrieve(
      payout.balance_transaction as string,
      {},
      { stripeAccount: account.id }
    )
    assert.deepEqual([txn.type, txn.amount], ['payout', -5000])
    await advance(stripe, 2 * DAY + 1)
    const paid = await stripe.payouts.retrieve(payout.id, {}, { stripeAccount: account.id })
    assert.equal(paid.status, 'paid')
    const events = await stripe.events.list({ type: 'payout.paid' }, { stripeAccount: account.id })
    assert.equal(events.data[0].account, account.id)
    const list = await stripe.payouts.list({}, { stripeAccount: account.id })
    assert.deepEqual(
      list.data.map((p) => p.id),
      [payout.id]
    )
  })

  test('a payout to a failing test bank account fails and the money comes back', async ({
    assert,
  }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    await stripe.accounts.update(account.id, {
      external_account: {
        object: 'bank_account',
        country: 'US',
        currency: 'usd',
        routing_number: '110000000',
        account_number: '000111111116',
      } as never,
    })
    await destinationCharge(stripe, account.id)
    await advance(stripe, 2 * DAY + 1)
    const payout = await stripe.payouts.create(
      { amount: 9000, currency: 'usd' },
      { stripeAccount: account.id }
    )
    await advance(stripe, 2 * DAY + 1)
    const failed = await stripe.payouts.retrieve(payout.id, {}, { stripeAccount: account.id })
    assert.equal(failed.status, 'failed')
    assert.equal(failed.failure_code, 'no_account')
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 9000, pending: 0 })
  })

  test('application fees: list, retrieve, refund through the fee endpoint', async ({ assert }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const { charge } = await destinationCharge(stripe, account.id)
    const fees = await stripe.applicationFees.list()
    assert.deepEqual(
      fees.data.map((f) => f.id),
      [charge.application_fee]
    )
    const refund = await stripe.applicationFees.createRefund(charge.application_fee as string, {
      amount: 250,
    })
    assert.match(refund.id, /^fr_/)
    assert.equal(refund.fee, charge.application_fee)
    const txn = await stripe.balanceTransactions.retrieve(refund.balance_transaction as string)
    assert.deepEqual([txn.type, txn.amount], ['application_fee_refund', -250])
    const fee = await stripe.applicationFees.retrieve(charge.application_fee as string)
    assert.equal(fee.amount_refunded, 250)
    assert.deepEqual(await usdBalance(stripe, account.id), { available: 250, pending: 9000 })
    const refunds = await stripe.applicationFees.listRefunds(fee.id)
    assert.lengthOf(refunds.data, 1)
    const tooMuch = await stripeError(stripe.applicationFees.createRefund(fee.id, { amount: 751 }))
    assert.equal(tooMuch.statusCode, 400)
  })

  test('balance transactions are per account and filter by type and source', async ({ assert }) => {
    const stripe = h.client()
    const account = await activeAccount(stripe)
    const { charge } = await destinationCharge(stripe, account.id)
    const payments = await stripe.balanceTransactions.list(
      { type: 'payment' },
      { stripeAccount: account.id }
    )
    assert.lengthOf(payments.data, 1)
    const platformPayments = await stripe.balanceTransactions.list({ type: 'payment' })
    assert.lengthOf(platformPayments.data, 0)
    const bySource = await stripe.balanceTransactions.list({ source: charge.id })
    assert.deepEqual(
      bySource.data.map((t) => t.type),
      ['charge']
    )
    const balance = await stripe.balance.retrieve({}, { stripeAccount: account.id })
    assert.equal(balance.object, 'balance')
    assert.deepEqual(balance.pending, [
      { amount: 9000, currency: 'usd', source_types: { card: 9000 } },
    ])
  })
})

test.group('Separate charges and transfers for a multi-contractor order (§5)', (group) => {
  let h: Harness
  group.setup(async () => {
    h = await startHarness()
    return () => h.sandbox.stop()
  })

  /** A $300 order paid by card, to be split between contractors. */
  async function order(stripe: Stripe) {
    const pi = await stripe.paymentIntents.create({
      amount: 30000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      transfer_group: 'ORDER-42',
      ...card,
    })
    return { pi, charge: pi.latest_charge as string }
  }

  test('the transfer_group goes onto the charge and the transfers; their sum is capped', async ({
    assert,
  }) => {
    const stripe = h.client()
    const [alice, bob] = [await activeAccount(stripe), await activeAccount(stripe)]
    const { charge } = await order(stripe)
    const paid = await stripe.charges.retrieve(charge)
    assert.equal(paid.transfer_group, 'ORDER-42')
    const toAlice = await stripe.transfers.create({
      amount: 12000,
      currency: 'usd',
      destination: alice.id,
      source_transaction: charge,
    })
    const toBob = await stripe.transfers.create({
      amount: 15000,
      currency: 'usd',
      destination: bob.id,
      source_transaction: charge,
    })
    assert.equal(toAlice.transfer_group, 'ORDER-42')
    assert.equal(toBob.transfer_group, 'ORDER-42')
    const over = await stripeError(
      stripe.transfers.create({
        amount: 3001,
        currency: 'usd',
        destination: alice.id,
        source_transaction: charge,
      })
    )
    assert.equal(over.statusCode, 400)
    assert.equal(over.code, 'balance_insufficient')
    const rest = await stripe.transfers.create({
      amount: 3000,
      currency: 'usd',
      destination: alice.id,
      source_transaction: charge,
    })
    const grouped = await stripe.transfers.list({ transfer_group: 'ORDER-42' })
    assert.deepEqual(
      grouped.data.map((t) => t.id),
      [rest.id, toBob.id, toAlice.id]
    )
    const charges = await stripe.charges.list({ transfer_group: 'ORDER-42' })
    assert.deepEqual(
      charges.data.map((c) => c.id),
      [charge]
    )
    const created = await stripe.events.list({ type: 'transfer.created' })
    assert.sameMembers(
      created.data.map((e) => (e.data.object as Stripe.Transfer).id),
      [toAlice.id, toBob.id, rest.id]
    )
  })

  test('the transferred money stays pending on the contractor until the charge’s funds are available', async ({
    assert,
  }) => {
    const stripe = h.client()
    const alice = await activeAccount(stripe)
    const { charge } = await order(stripe)
    await stripe.transfers.create({
      amount: 12000,
      currency: 'usd',
      destination: alice.id,
      source_transaction: charge,
    })
    assert.deepEqual(await usdBalance(stripe, alice.id), { available: 0, pending: 12000 })
    await advance(stripe, 2 * DAY - 60)
    assert.deepEqual(await usdBalance(stripe, alice.id), { available: 0, pending: 12000 })
    await advance(stripe, 120)
    assert.deepEqual(await usdBalance(stripe, alice.id), { available: 12000, pending: 0 })
  })

  test('a reversal needs the contractor’s available balance; it sends transfer.reversed', async ({
    assert,
  }) => {
    const stripe = h.client()
    const alice = await activeAccount(stripe)
    const { charge } = await order(stripe)
    const transfer = await stripe.transfers.create({
      amount: 12000,
      currency: 'usd',
      destination: alice.id,
      source_transaction: charge,
    })
    // Still pending on Alice's side: nothing available to take back.
    const early = await stripeError(stripe.transfers.createReversal(transfer.id, { amount: 5000 }))
    assert.equal(early.statusCode, 400)
    assert.equal(early.code, 'balance_insufficient')
    assert.include(early.message, 'available balance is 0 usd')
    const unchanged = await stripe.transfers.retrieve(transfer.id)
    assert.equal(unchanged.amount_reversed, 0)
    assert.deepEqual(await usdBalance(stripe, alice.id), { available: 0, pending: 12000 })

    await advance(stripe, 2 * DAY + 60)
    const platformBefore = await usdBalance(stripe)
    const reversal = await stripe.transfers.createReversal(transfer.id, { amount: 5000 })
    assert.match(reversal.id, /^trr_/)
    assert.deepEqual(await usdBalance(stripe, alice.id), { available: 7000, pending: 0 })
    assert.deepEqual(await usdBalance(stripe), {
      available: platformBefore.available + 5000,
      pending: platformBefore.pending,
    })
    const reversed = await stripe.events.list({ type: 'transfer.reversed' })
    const event = reversed.data[0]
    assert.equal((event.data.object as Stripe.Transfer).amount_reversed, 5000)
    assert.deepEqual(event.data.previous_attributes as object, { amount_reversed: 0 })
    // More than Alice has available (she paid some out) is refused.
    await stripe.payouts.create({ amount: 6000, currency: 'usd' }, { stripeAccount: alice.id })
    const tooMuch = await stripeError(stripe.transfers.createReversal(transfer.id))
    assert.equal(tooMuch.code, 'balance_insufficient')
    const rest = await stripe.transfers.createReversal(transfer.id, { amount: 1000 })
    assert.equal(rest.amount, 1000)
  })

  test('updating a transfer’s description or metadata sends transfer.updated', async ({
    assert,
  }) => {
    const stripe = h.client()
    const alice = await activeAccount(stripe)
    const { charge } = await order(stripe)
    const transfer = await stripe.transfers.create({
      amount: 1000,
      currency: 'usd',
      destination: alice.id,
      source_transaction: charge,
    })
    await stripe.transfers.update(transfer.id, { metadata: { order: '42' } })
    const updated = await stripe.events.list({ type: 'transfer.updated' })
    assert.lengthOf(updated.data, 1)
    assert.deepEqual((updated.data[0].data.object as Stripe.Transfer).metadata, { order: '42' })
    assert.deepEqual(updated.data[0].data.previous_attributes as object, {
      metadata: { order: null },
    })
  })
})
