import { test } from '@japa/runner'
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { join, relative } from 'node:path'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { MigrationRunner } from '@adonisjs/lucid/migration'

/*
| The payments core migration upgrades a first-stage database in place: a
| scratch database is migrated to the first stage (0001–0300), filled with
| orders in every status with their refunds, debits and audit lines, then
| migrated to the latest schema; nothing may be lost. Then rolled back, and
| the first-stage columns come back.
*/

const CONNECTION = 'migration_check'
const FIRST_STAGE_LAST = '0300_add_form_token_to_orders.ts'

async function migrate(paths: string[], direction: 'up' | 'down') {
  const connection = db.manager.get(CONNECTION)!
  connection.config.migrations = { naturalSort: true, paths }
  const runner = new MigrationRunner(db, app, {
    direction,
    connectionName: CONNECTION,
    dryRun: false,
    ...(direction === 'down' ? { batch: 1 } : {}),
  })
  await runner.run()
  if (runner.error) {
    throw runner.error
  }
}

/** Orders of the first stage, one per status it knew, and what each must become */
const ORDERS = [
  { status: 'pending', line: 'requested', payment: 'pending' },
  { status: 'authorized', line: 'requested', payment: 'authorized' },
  { status: 'accepted', line: 'accepted', payment: 'authorized' },
  { status: 'delivered', line: 'delivered', payment: 'authorized' },
  { status: 'captured', line: 'approved', payment: 'succeeded' },
  { status: 'partially_refunded', line: 'approved', payment: 'partially_refunded' },
  { status: 'refunded', line: 'approved', payment: 'refunded' },
  { status: 'canceled', line: 'canceled', payment: 'canceled', by: 'employer' },
  { status: 'canceled', line: 'declined', payment: 'canceled', by: 'contractor' },
  { status: 'expired', line: 'canceled', payment: 'canceled' },
  { status: 'failed', line: 'canceled', payment: 'failed' },
] as const

test.group('Migration 0400: the payments core upgrades a first-stage database', (group) => {
  let scratch: string
  let folder: string

  group.setup(async () => {
    const main = db.connection()
    scratch = `crewpay_migration_${process.pid}`
    await main.rawQuery(`DROP DATABASE IF EXISTS ${scratch}`)
    await main.rawQuery(`CREATE DATABASE ${scratch}`)
    const config = db.manager.get('postgres')!.config
    const connection = config.connection as string | Record<string, unknown>
    let scratchConnection: string | Record<string, unknown>
    if (typeof connection === 'string') {
      const url = new URL(connection)
      url.pathname = `/${scratch}`
      scratchConnection = url.href
    } else {
      scratchConnection = { ...connection, database: scratch }
    }
    db.manager.add(CONNECTION, {
      ...config,
      connection: scratchConnection as never,
      pool: { min: 0, max: 2 },
    })
    db.manager.connect(CONNECTION)
    // Inside the project, so the copies resolve its packages
    await mkdir(app.makePath('tmp'), { recursive: true })
    folder = await mkdtemp(app.makePath('tmp', 'first-stage-migrations-'))
    for (const file of await readdir(app.makePath('database/migrations'))) {
      if (file <= FIRST_STAGE_LAST) {
        await cp(app.makePath('database/migrations', file), join(folder, file))
      }
    }
    return async () => {
      await db.manager.close(CONNECTION)
      db.manager.release(CONNECTION)
      await main.rawQuery(`DROP DATABASE IF EXISTS ${scratch}`)
      await rm(folder, { recursive: true, force: true })
    }
  })

  test('every order, refund, debit and audit line is kept', async ({ assert }) => {
    await migrate([folder], 'up')
    const scratchDb = db.connection(CONNECTION)
    const now = new Date()
    const [employer, contractor] = await scratchDb
      .table('users')
      .insert([
        {
          email: 'erin@example.com',
          password: 'x',
          full_name: 'Erin',
          role: 'employer',
          created_at: now,
          updated_at: now,
        },
        {
          email: 'carla@example.com',
          password: 'x',
          full_name: 'Carla',
          role: 'contractor',
          created_at: now,
          updated_at: now,
        },
      ])
      .returning('id')
    await scratchDb.table('user_profiles').insert([
      { user_id: employer.id, stripe_id: 'cus_first', created_at: now, updated_at: now },
      { user_id: contractor.id, stripe_id: 'acct_first', created_at: now, updated_at: now },
    ])
    const [service] = await scratchDb
      .table('services')
      .insert({
        contractor_id: contractor.id,
        title: 'Kitchen repaint',
        description: 'Two coats',
        price: 12000,
        currency: 'usd',
        created_at: now,
        updated_at: now,
      })
      .returning('id')

    const orderIds: number[] = []
    for (const [index, spec] of ORDERS.entries()) {
      const captured = ['approved'].includes(spec.line) ? 12000 : 0
      const refunded =
        spec.payment === 'refunded' ? 12000 : spec.payment === 'partially_refunded' ? 3000 : 0
      const [order] = await scratchDb
        .table('orders')
        .insert({
          employer_id: employer.id,
          contractor_id: contractor.id,
          service_id: service.id,
          note: `order ${index}`,
          amount: 12000,
          currency: 'usd',
          application_fee_amount: 1200,
          amount_captured: captured,
          amount_refunded: refunded,
          status: spec.status,
          payment_method_id: 'pm_first',
          authorization_attempts: 1,
          stripe_payment_intent_id: spec.payment === 'pending' ? null : `pi_first_${index}`,
          stripe_charge_id: spec.payment === 'pending' ? null : `ch_first_${index}`,
          stripe_transfer_id: captured ? `tr_first_${index}` : null,
          failure_message: spec.payment === 'failed' ? 'Your card was declined.' : null,
          cancellation_reason: spec.status === 'expired' ? 'abandoned' : null,
          hold_expires_at: new Date(now.getTime() + 6 * 86400_000),
          disputed_at: spec.status === 'captured' ? now : null,
          authorized_at: now,
          accepted_at: ['accepted', 'delivered'].includes(spec.line) || captured ? now : null,
          delivered_at: spec.line === 'delivered' || captured ? now : null,
          captured_at: captured ? now : null,
          canceled_at: spec.payment === 'canceled' ? now : null,
          failed_at: spec.payment === 'failed' ? now : null,
          refunded_at: refunded ? now : null,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
      orderIds.push(order.id)
      await scratchDb.table('payment_events').insert({
        order_id: order.id,
        actor: `user:${employer.id}`,
        type: 'order.placed',
        to_status: 'pending',
        amount: 12000,
        currency: 'usd',
        created_at: now,
      })
      if ('by' in spec) {
        await scratchDb.table('payment_events').insert({
          order_id: order.id,
          actor: `user:${spec.by === 'contractor' ? contractor.id : employer.id}`,
          type: 'order.canceled',
          from_status: 'authorized',
          to_status: 'canceled',
          created_at: now,
        })
      }
      if (refunded) {
        const [refund] = await scratchDb
          .table('refunds')
          .insert({
            order_id: order.id,
            amount: refunded,
            currency: 'usd',
            reverse_transfer: true,
            refund_application_fee: true,
            status: 'succeeded',
            stripe_refund_id: `re_first_${index}`,
            initiated_by: 'console:root',
            created_at: now,
            updated_at: now,
          })
          .returning('id')
        await scratchDb.table('contractor_debits').insert({
          contractor_id: contractor.id,
          order_id: order.id,
          refund_id: refund.id,
          amount: 500,
          currency: 'usd',
          reason: 'Share of a refund',
          status: 'owed',
          initiated_by: 'console:root',
          created_at: now,
          updated_at: now,
        })
      }
    }
    // The first stage's migrations, as the real folder's, so the next run only adds the new ones
    await scratchDb.from('adonis_schema').update({
      name: scratchDb.raw('replace(name, ?, ?)', [
        relative(app.makePath(), folder),
        'database/migrations',
      ]),
    })
    const before = {
      orders: await scratchDb.from('orders').orderBy('id'),
      refunds: await scratchDb.from('refunds').orderBy('id'),
      debits: await scratchDb.from('contractor_debits').orderBy('id'),
      events: await scratchDb.from('payment_events').count('* as total'),
    }

    await migrate([app.makePath('database/migrations')], 'up')

    const orders = await scratchDb.from('orders').orderBy('id')
    const lines = await scratchDb.from('order_lines').orderBy('order_id')
    const payments = await scratchDb.from('payments').orderBy('order_id')
    const transfers = await scratchDb.from('transfers').orderBy('id')
    assert.lengthOf(orders, ORDERS.length)
    assert.lengthOf(lines, ORDERS.length)
    assert.lengthOf(payments, ORDERS.length)
    for (const [index, spec] of ORDERS.entries()) {
      const old = before.orders[index]
      const order = orders[index]
      const line = lines[index]
      const payment = payments[index]
      const label = `${spec.status} (${index})`
      assert.deepInclude(
        order,
        {
          id: old.id,
          reference: old.reference,
          employer_id: employer.id,
          total: 12000,
          note: old.note,
        },
        label
      )
      assert.deepInclude(
        line,
        {
          order_id: old.id,
          contractor_id: contractor.id,
          service_id: service.id,
          title: 'Kitchen repaint',
          amount: 12000,
          fee_amount: 1200,
          status: spec.line,
        },
        label
      )
      assert.deepInclude(
        payment,
        {
          order_id: old.id,
          reference: old.reference,
          employer_id: employer.id,
          flow: 'hold',
          method_type: 'card',
          payment_method_id: 'pm_first',
          amount: 12000,
          application_fee_amount: 1200,
          amount_captured: old.amount_captured,
          amount_refunded: old.amount_refunded,
          status: spec.payment,
          stripe_payment_intent_id: old.stripe_payment_intent_id,
          stripe_charge_id: old.stripe_charge_id,
          failure_message: old.failure_message,
          disputed: old.disputed_at !== null,
        },
        label
      )
      assert.equal(payment.capture_before?.getTime(), old.hold_expires_at.getTime(), label)
    }
    // The destination transfers: one per captured order, Stripe's amount (the whole charge)
    assert.deepEqual(
      transfers.map((row) => [
        row.stripe_transfer_id,
        row.kind,
        row.amount,
        row.destination,
        row.status,
      ]),
      ORDERS.flatMap((spec, index) =>
        spec.line === 'approved'
          ? [[`tr_first_${index}`, 'destination', 12000, 'acct_first', 'paid']]
          : []
      )
    )
    const refunds = await scratchDb.from('refunds').orderBy('id')
    assert.lengthOf(refunds, before.refunds.length)
    for (const refund of refunds) {
      const payment = payments.find((row) => row.order_id === refund.order_id)!
      assert.equal(refund.payment_id, payment.id)
      assert.equal(refund.cause, 'admin')
    }
    const debits = await scratchDb.from('contractor_debits').orderBy('id')
    assert.lengthOf(debits, before.debits.length)
    for (const debit of debits) {
      assert.equal(debit.order_line_id, lines.find((row) => row.order_id === debit.order_id).id)
    }
    const events = await scratchDb.from('payment_events').count('* as total')
    assert.equal(events[0].total, before.events[0].total)

    // And back: the first-stage columns return with what they held
    await migrate([app.makePath('database/migrations')], 'down')
    const restored = await scratchDb.from('orders').orderBy('id')
    assert.lengthOf(restored, ORDERS.length)
    for (const [index, old] of before.orders.entries()) {
      assert.deepInclude(
        restored[index],
        {
          amount: old.amount,
          contractor_id: old.contractor_id,
          amount_captured: old.amount_captured,
          amount_refunded: old.amount_refunded,
          stripe_payment_intent_id: old.stripe_payment_intent_id,
          status: old.status,
        },
        `restored ${old.status}`
      )
    }
  }).timeout(60_000)
})
