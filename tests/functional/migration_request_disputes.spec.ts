import { test } from '@japa/runner'
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { join, relative } from 'node:path'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { MigrationRunner } from '@adonisjs/lucid/migration'

/*
| Migration 0820 upgrades in place a database whose disputes on payment
| request payments were recorded with no line: each gets its request and a
| line naming the contractor and their part; order disputes are untouched.
| Rolled back, the request lines go and every dispute stays.
*/

const CONNECTION = 'migration_request_disputes'
const BEFORE = '0820'

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

test.group('Migration 0820: disputes on payment request payments', (group) => {
  let scratch: string
  let folder: string

  group.setup(async () => {
    const main = db.connection()
    scratch = `crewpay_migration_0820_${process.pid}`
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
    await mkdir(app.makePath('tmp'), { recursive: true })
    folder = await mkdtemp(app.makePath('tmp', 'before-0820-migrations-'))
    for (const file of await readdir(app.makePath('database/migrations'))) {
      if (file < BEFORE) {
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

  test('a recorded request dispute gets its request and its contractor line; rollback keeps the dispute', async ({
    assert,
  }) => {
    await migrate([folder], 'up')
    const scratchDb = db.connection(CONNECTION)
    const now = new Date()
    const [employer, contractor] = await scratchDb
      .table('users')
      .insert(
        [
          ['erin@example.com', 'employer'],
          ['carla@example.com', 'contractor'],
        ].map(([email, role]) => ({
          email,
          password: 'x',
          full_name: email.split('@')[0],
          role,
          created_at: now,
          updated_at: now,
        }))
      )
      .returning('id')
    const [request] = await scratchDb
      .table('payment_requests')
      .insert({
        contractor_id: contractor.id,
        employer_email: 'erin@example.com',
        employer_id: employer.id,
        description: 'Extra drywall',
        amount: 100000,
        currency: 'usd',
        due_date: '2026-12-31',
        fee_plan: JSON.stringify({ basisPoints: 1250, fixed: 30, minimum: null, maximum: null }),
        token_hash: 'a'.repeat(64),
        token_encrypted: 'x',
        created_at: now,
        updated_at: now,
      })
      .returning('id')
    const [payment] = await scratchDb
      .table('payments')
      .insert({
        payment_request_id: request.id,
        employer_id: employer.id,
        method_type: 'card',
        flow: 'destination',
        amount: 40000,
        currency: 'usd',
        application_fee_amount: 5030,
        amount_captured: 40000,
        amount_refunded: 10000,
        status: 'partially_refunded',
        disputed: true,
        stripe_payment_intent_id: 'pi_request',
        stripe_charge_id: 'ch_request',
        created_at: now,
        updated_at: now,
      })
      .returning('id')
    const [dispute] = await scratchDb
      .table('disputes')
      .insert({
        payment_id: payment.id,
        order_id: null,
        stripe_dispute_id: 'du_request',
        stripe_charge_id: 'ch_request',
        amount: 40000,
        currency: 'usd',
        reason: 'fraudulent',
        status: 'lost',
        outcome: 'lost',
        settled_at: now,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
    await scratchDb.from('adonis_schema').update({
      name: scratchDb.raw('replace(name, ?, ?)', [
        relative(app.makePath(), folder),
        'database/migrations',
      ]),
    })

    await migrate([app.makePath('database/migrations')], 'up')

    const upgraded = await scratchDb.from('disputes').where('id', dispute.id).first()
    assert.equal(upgraded.payment_request_id, request.id)
    assert.isNull(upgraded.order_id)
    assert.equal(upgraded.status, 'lost')
    assert.isNotNull(upgraded.settled_at, 'a settled dispute is not driven again')
    const lines = await scratchDb.from('dispute_lines').where('dispute_id', dispute.id)
    assert.lengthOf(lines, 1)
    assert.isNull(lines[0].order_line_id)
    assert.equal(lines[0].contractor_id, contractor.id)
    // $400.00 disputed, $100.00 of it refunded before: $300.00 is the contractor's to answer for
    assert.equal(Number(lines[0].amount), 30000)
    assert.isNull(lines[0].share)
    // A request dispute has one line
    await assert.rejects(() =>
      scratchDb.table('dispute_lines').insert({
        dispute_id: dispute.id,
        order_line_id: null,
        contractor_id: contractor.id,
        amount: 1,
        created_at: now,
        updated_at: now,
      })
    )

    await migrate([app.makePath('database/migrations')], 'down')
    const kept = await scratchDb.from('disputes').where('id', dispute.id).first()
    assert.equal(kept.stripe_dispute_id, 'du_request')
    assert.notProperty(kept, 'payment_request_id')
    assert.lengthOf(await scratchDb.from('dispute_lines').where('dispute_id', dispute.id), 0)
  })
})
