import { test } from '@japa/runner'
import type { ApiResponse } from '@japa/api-client'
import { DateTime } from 'luxon'
import type User from '#models/user'
import StripeEvent from '#models/stripe_event'
import { stripe } from '#stripe/client'
import { truncateAllTables } from '#tests/helpers/database'
import { followRedirect } from '#tests/helpers/http'
import { createUser } from '#tests/helpers/users'
import {
  advanceSandboxClock,
  createActiveContractor,
  profileOf,
  stripeIdOf,
} from '#tests/helpers/stripe'
import { withStripeUnreachable } from '#tests/helpers/stripe'

const TWO_DAYS = 2 * 24 * 60 * 60

/**
 * A paid order as Stripe sees it: a destination charge to the contractor,
 * held (manual capture) with pm_card_visa, then captured. The contractor
 * gets amount − fee.
 */
async function paidOrder(contractor: User, amount: number, fee: number | null) {
  const destination = await stripeIdOf(contractor)
  const intent = await stripe().paymentIntents.create({
    amount,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    allowed_payment_method_types: ['card'],
    capture_method: 'manual',
    confirm: true,
    ...(fee === null ? {} : { application_fee_amount: fee }),
    transfer_data: { destination },
  })
  return stripe().paymentIntents.capture(intent.id)
}

async function contractorTransactions(contractor: User) {
  const stripeAccount = await stripeIdOf(contractor)
  const list = await stripe().balanceTransactions.list({ limit: 100 }, { stripeAccount })
  return list.data
}

function formatted(seconds: number) {
  return DateTime.fromSeconds(seconds).toUTC().toFormat('LLL d, yyyy')
}

/** A big figure of the page (`data-figure="pending"`): "$1.00", or null when not shown */
function cell(page: ApiResponse, name: string) {
  return new RegExp(`data-figure="${name}">([^<]*)<`).exec(page.text())?.[1] ?? null
}

/** The cells of a transaction's or payout's row, as text */
function rowOf(page: ApiResponse, id: string) {
  const row = new RegExp(`<tr data-id="${id}">([\\s\\S]*?)</tr>`).exec(page.text())?.[1]
  if (!row) {
    return null
  }
  return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((match) =>
    match[1]
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  )
}

/** The transaction ids listed, in page order */
function listedTransactions(page: ApiResponse) {
  return [...page.text().matchAll(/<tr data-id="(txn_[A-Za-z0-9]+)"/g)].map((match) => match[1])
}

function link(page: ApiResponse, rel: 'prev' | 'next') {
  const match = new RegExp(`<a href="([^"]+)" rel="${rel}">`).exec(page.text())
  return match ? match[1].replaceAll('&amp;', '&') : null
}

test.group('Balance', (group) => {
  group.each.setup(() => truncateAllTables())

  test('a captured order shows as pending, then available two days later, to the cent', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    await paidOrder(contractor, 12345, 1235)
    const before = await profileOf(contractor)

    const pending = await client.get('/balance').loginAs(contractor)
    pending.assertStatus(200)
    assert.equal(cell(pending, 'pending'), '$111.10')
    assert.equal(cell(pending, 'available'), '$0.00')
    const [payment] = await contractorTransactions(contractor)
    assert.equal(payment.type, 'payment')
    assert.equal(payment.status, 'pending')
    assert.equal(payment.net, 11110)
    assert.equal(cell(pending, 'next-available'), formatted(payment.available_on))
    // Date, what, amount, Crewpay's fee, net, status (pending until when)
    assert.deepEqual(rowOf(pending, payment.id), [
      formatted(payment.created),
      'Payment for an order',
      '$123.45',
      '-$12.35',
      '$111.10',
      `Pending until ${formatted(payment.available_on)}`,
    ])
    assert.deepEqual(listedTransactions(pending), [payment.id])
    // Pending and available explained
    pending.assertTextIncludes('It then becomes <strong>available</strong>')
    pending.assertTextIncludes('Your available balance is paid out to your bank every day.')

    await advanceSandboxClock(TWO_DAYS)

    const available = await client.get('/balance').loginAs(contractor)
    available.assertStatus(200)
    assert.equal(cell(available, 'available'), '$111.10')
    assert.equal(cell(available, 'pending'), '$0.00')
    assert.isNull(cell(available, 'next-available'))
    assert.equal(rowOf(available, payment.id)?.at(-1), 'Available')

    // Reading a balance writes nothing
    const after = await profileOf(contractor)
    assert.equal(after.updatedAt.toMillis(), before.updatedAt.toMillis())
    assert.lengthOf(await StripeEvent.all(), 0)
  })

  test('payouts are listed with their status', async ({ client, assert }) => {
    const contractor = await createActiveContractor()
    await paidOrder(contractor, 10000, 1000)
    await advanceSandboxClock(TWO_DAYS)
    const stripeAccount = await stripeIdOf(contractor)
    const payout = await stripe().payouts.create(
      { amount: 9000, currency: 'usd' },
      { stripeAccount }
    )

    const onItsWay = await client.get('/balance').loginAs(contractor)
    onItsWay.assertStatus(200)
    assert.equal(cell(onItsWay, 'available'), '$0.00')
    assert.deepEqual(rowOf(onItsWay, payout.id), [
      formatted(payout.arrival_date),
      '$90.00',
      'On its way',
    ])
    // The payout on its way, said above the transactions
    onItsWay.assertTextIncludes(
      `A payout of <strong>$90.00</strong> is on its way to your bank, arriving around <strong>${formatted(payout.arrival_date)}</strong>.`
    )
    const [payoutTxn] = await contractorTransactions(contractor)
    assert.equal(payoutTxn.type, 'payout')
    assert.deepEqual(rowOf(onItsWay, payoutTxn.id)?.slice(1, 5), [
      'Payout to your bank',
      '-$90.00',
      '—',
      '-$90.00',
    ])

    await advanceSandboxClock(TWO_DAYS)
    const paid = await client.get('/balance').loginAs(contractor)
    assert.equal(rowOf(paid, payout.id)?.at(-1), 'Paid')
    assert.notInclude(paid.text(), 'is on its way to your bank')
    const profile = await profileOf(contractor)
    assert.equal(profile.stripeId, stripeAccount)
  })

  test('pages through the transactions newest first with Stripe cursors', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    for (let index = 1; index <= 22; index++) {
      await paidOrder(contractor, 1000 + index * 100, null)
    }
    const all = await contractorTransactions(contractor)
    assert.lengthOf(all, 22)

    const first = await client.get('/balance').loginAs(contractor)
    first.assertStatus(200)
    assert.deepEqual(
      listedTransactions(first),
      all.slice(0, 20).map((txn) => txn.id)
    )
    assert.equal(rowOf(first, all[0].id)?.[2], '$32.00')
    assert.isNull(link(first, 'prev'))
    assert.equal(link(first, 'next'), `/balance?starting_after=${all[19].id}`)

    const second = await client.get(link(first, 'next')!).loginAs(contractor)
    second.assertStatus(200)
    assert.deepEqual(
      listedTransactions(second),
      all.slice(20).map((txn) => txn.id)
    )
    assert.equal(rowOf(second, all[21].id)?.[2], '$11.00')
    assert.isNull(link(second, 'next'))
    assert.equal(link(second, 'prev'), `/balance?ending_before=${all[20].id}`)

    const back = await client.get(link(second, 'prev')!).loginAs(contractor)
    assert.deepEqual(
      listedTransactions(back),
      all.slice(0, 20).map((txn) => txn.id)
    )
    assert.isNull(link(back, 'prev'))
    assert.equal(link(back, 'next'), `/balance?starting_after=${all[19].id}`)
    const profile = await profileOf(contractor)
    assert.match(profile.stripeId!, /^acct_/)
  })

  test('refuses page links that are not balance transaction ids', async ({ client, assert }) => {
    const contractor = await createActiveContractor()
    await paidOrder(contractor, 5000, 500)
    const [own] = await contractorTransactions(contractor)

    for (const query of [
      'starting_after=ch_3abc',
      'starting_after=txn_<script>',
      'ending_before=../../v1/balance',
      `starting_after=${own.id}&ending_before=${own.id}`,
    ]) {
      const response = await client.get(`/balance?${query}`).loginAs(contractor).redirects(0)
      response.assertStatus(302)
      response.assertHeader('location', '/balance')
      assert.equal(
        response.flashMessage('error'),
        'That page link is not valid; here are your latest transactions.'
      )
    }
    const response = await client
      .get('/balance?starting_after=nope')
      .loginAs(contractor)
      .redirects(0)
    const page = await followRedirect(client, response).loginAs(contractor)
    page.assertStatus(200)
    page.assertTextIncludes('That page link is not valid; here are your latest transactions.')
    assert.deepEqual(listedTransactions(page), [own.id])
    const profile = await profileOf(contractor)
    assert.match(profile.stripeId!, /^acct_/)
  })

  test("each contractor only ever sees their own account's money", async ({ client, assert }) => {
    const carla = await createActiveContractor({ email: 'carla@example.com' })
    const dave = await createActiveContractor({ email: 'dave@example.com' })
    await paidOrder(carla, 5000, 500)
    await paidOrder(dave, 7000, 700)
    const [carlaTxn] = await contractorTransactions(carla)
    const [daveTxn] = await contractorTransactions(dave)

    const carlaPage = await client.get('/balance').loginAs(carla)
    assert.equal(cell(carlaPage, 'pending'), '$45.00')
    assert.deepEqual(listedTransactions(carlaPage), [carlaTxn.id])
    assert.notInclude(carlaPage.text(), '$63.00')
    assert.notInclude(carlaPage.text(), daveTxn.id)

    const davePage = await client.get('/balance').loginAs(dave)
    assert.equal(cell(davePage, 'pending'), '$63.00')
    assert.deepEqual(listedTransactions(davePage), [daveTxn.id])
    assert.notInclude(davePage.text(), '$45.00')

    // Another contractor's transaction as a cursor: Stripe does not know it on
    // Dave's account, so Dave's page starts over with his own transactions
    const probe = await client.get(`/balance?starting_after=${carlaTxn.id}`).loginAs(dave)
    probe.assertStatus(200)
    probe.assertTextIncludes(
      'That page link is not valid any more; here are your latest transactions.'
    )
    assert.deepEqual(listedTransactions(probe), [daveTxn.id])
    assert.notInclude(probe.text(), carlaTxn.id)
    assert.notInclude(probe.text(), '$45.00')

    const [carlaProfile, daveProfile] = [await profileOf(carla), await profileOf(dave)]
    assert.notEqual(carlaProfile.stripeId, daveProfile.stripeId)
  })

  test('a cursor Stripe does not know shows the latest transactions with a notice', async ({
    client,
    assert,
  }) => {
    const contractor = await createActiveContractor()
    await paidOrder(contractor, 5000, 500)
    const [own] = await contractorTransactions(contractor)

    const page = await client
      .get('/balance?starting_after=txn_1NoSuchTransactionAnywhere')
      .loginAs(contractor)

    page.assertStatus(200)
    page.assertTextIncludes(
      'That page link is not valid any more; here are your latest transactions.'
    )
    assert.deepEqual(listedTransactions(page), [own.id])
    assert.equal(cell(page, 'pending'), '$45.00')
    const profile = await profileOf(contractor)
    assert.match(profile.stripeId!, /^acct_/)
  })

  test('a Stripe outage shows a clear message, not an error page', async ({ client, assert }) => {
    const contractor = await createActiveContractor()
    await paidOrder(contractor, 5000, 500)

    const page = await withStripeUnreachable(() => client.get('/balance').loginAs(contractor))

    page.assertStatus(200)
    page.assertTextIncludes(
      'Stripe is unreachable right now, so your balance cannot be shown. Your money is safe; reload this page in a moment.'
    )
    assert.notInclude(page.text(), 'Something went wrong')
    assert.isNull(cell(page, 'pending'))
    const profile = await profileOf(contractor)
    assert.match(profile.stripeId!, /^acct_/)

    const recovered = await client.get('/balance').loginAs(contractor)
    assert.equal(cell(recovered, 'pending'), '$45.00')
  })

  test('a contractor without a payment account is sent to onboarding', async ({
    client,
    assert,
  }) => {
    const contractor = await createUser({ role: 'contractor' })

    const page = await client.get('/balance').loginAs(contractor)

    page.assertStatus(200)
    page.assertTextIncludes('You have no payment account yet.')
    page.assertTextIncludes('<a href="/onboarding">Finish onboarding</a>')
    const profile = await profileOf(contractor)
    assert.isNull(profile.stripeId)
  })
})
