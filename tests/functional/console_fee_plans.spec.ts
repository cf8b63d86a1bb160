import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import type User from '#models/user'
import UserProfile from '#models/user_profile'
import PaymentEvent from '#models/payment_event'
import ContractorsFee from '#commands/contractors_fee'
import OrdersCapture from '#commands/orders_capture'
import { feePlanOf } from '#actions/contractors/fee_plans'
import { acceptLine } from '#actions/orders/accept_line'
import { truncateAllTables } from '#tests/helpers/database'
import { createUser } from '#tests/helpers/users'
import { createActiveContractor, createEmployer } from '#tests/helpers/stripe'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { chargeOf, errorsOf, runCommand, withoutTerminal } from '#tests/functional/console_helpers'

/*
| contractors:fee: show, set, reset a contractor's fee plan. The platform
| default in tests is 10% and no fixed part (PLATFORM_FEE_PERCENT).
*/

async function planOf(contractor: User) {
  const profile = await UserProfile.findByOrFail('userId', contractor.id)
  return {
    plan: feePlanOf(profile),
    columns: [
      profile.feeBasisPointsOverride,
      profile.feeFixedOverride,
      profile.feeMinimumOverride,
      profile.feeMaximumOverride,
    ],
  }
}

function planEvents() {
  return PaymentEvent.query().where('type', 'contractor.fee_plan_changed').orderBy('id')
}

test.group('contractors:fee', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('--show (and no flag) tells the plan in force with an example', async ({ assert }) => {
    await createActiveContractor({ email: 'carla@example.com' })
    for (const argv of [['--show'], []]) {
      const command = await runCommand(ContractorsFee, ['carla@example.com', ...argv])
      command.assertSucceeded()
      command.assertLog(
        '[ blue(info) ] carla@example.com: 10% (platform default); on a $100.00 line the fee is $10.00.'
      )
    }
    assert.lengthOf(await planEvents(), 0)
  })

  test('sets percent, fixed, min and max; --show then says own plan; --reset goes back', async ({
    assert,
  }) => {
    const carla = await createActiveContractor({ email: 'carla@example.com' })

    const set = await runCommand(ContractorsFee, [
      'carla@example.com',
      '--percent=12.5',
      '--fixed=0.30',
      '--min=1',
      '--max=25',
      '--force',
    ])
    set.assertSucceeded()
    set.assertLog('[ blue(info) ] carla@example.com: 10% → 12.5% + $0.30, min $1.00, max $25.00.')
    set.assertLog(
      '[ blue(info) ] From now on on a $100.00 line the fee is $12.80; orders already placed keep their fee.'
    )
    set.assertLog(
      '[ green(success) ] carla@example.com now pays 12.5% + $0.30, min $1.00, max $25.00.'
    )
    const { columns: set1 } = await planOf(carla)
    assert.deepEqual(set1, [1250, 30, 100, 2500])

    const shown = await runCommand(ContractorsFee, [String(carla.id), '--show'])
    shown.assertSucceeded()
    shown.assertLog(
      '[ blue(info) ] carla@example.com: 12.5% + $0.30, min $1.00, max $25.00 (own plan); ' +
        'on a $100.00 line the fee is $12.80.'
    )

    // A percent alone: no fixed part, no bounds
    const plain = await runCommand(ContractorsFee, ['carla@example.com', '--percent=8', '--force'])
    plain.assertSucceeded()
    const { columns: set2 } = await planOf(carla)
    assert.deepEqual(set2, [800, 0, null, null])

    const reset = await runCommand(ContractorsFee, ['carla@example.com', '--reset', '--force'])
    reset.assertSucceeded()
    reset.assertLog('[ green(success) ] carla@example.com now pays 10% (platform default).')
    const after = await planOf(carla)
    assert.deepEqual(after.columns, [null, null, null, null])
    assert.deepEqual(after.plan, { basisPoints: 1000, fixed: 0, minimum: null, maximum: null })

    // Each change is audited, with who made it
    const events = await planEvents()
    assert.deepEqual(
      events.map((event) => event.message),
      [
        'carla@example.com: 10% → 12.5% + $0.30, min $1.00, max $25.00',
        'carla@example.com: 12.5% + $0.30, min $1.00, max $25.00 → 8%',
        'carla@example.com: 8% → 10% (platform default)',
      ]
    )
    assert.isTrue(events.every((event) => event.actor.startsWith('console:')))
  })

  test('bad flags and min above max are refused in one line, and nothing changes', async ({
    assert,
  }) => {
    const carla = await createActiveContractor({ email: 'carla@example.com' })
    await createUser({ role: 'employer', email: 'erin@example.com' })
    const own = await runCommand(ContractorsFee, [
      'carla@example.com',
      '--percent=5',
      '--fixed=0.50',
      '--force',
    ])
    own.assertSucceeded()
    const before = await planOf(carla)
    const { length: eventsBefore } = await planEvents()

    const cases: [string[], string][] = [
      [['--percent=abc'], '--percent: "abc" is not a percentage (e.g. 10 or 12.5).'],
      [['--percent=101'], '--percent: A percentage cannot exceed 100 (got 101).'],
      [['--percent=-3'], '--percent: "-3" is not a percentage (e.g. 10 or 12.5).'],
      [['--percent=12.345'], '--percent: "12.345" is not a percentage (e.g. 10 or 12.5).'],
      [['--fixed=0.30'], '--percent is required to set a plan (0 for none).'],
      [['--reset', '--percent=5'], '--reset takes no other fee flag.'],
      [['--percent=10', '--fixed=abc'], '"abc" is not an amount (write it like 12.50).'],
      [['--percent=10', '--fixed=0.001'], 'USD amounts have at most 2 decimals.'],
      [['--percent=10', '--min=-1'], 'The amount cannot be negative.'],
      [['--percent=10', '--min=30', '--max=5'], 'The minimum fee cannot be above the maximum.'],
    ]
    for (const [argv, message] of cases) {
      const command = await runCommand(ContractorsFee, ['carla@example.com', ...argv, '--force'])
      command.assertExitCode(1)
      assert.deepEqual(errorsOf(command), [`[ red(error) ] ${message}`], argv.join(' '))
    }

    // Not a contractor, or nobody
    for (const who of ['erin@example.com', 'nobody@example.com']) {
      const command = await runCommand(ContractorsFee, [who, '--percent=10', '--force'])
      command.assertExitCode(1)
      assert.lengthOf(errorsOf(command), 1, who)
    }

    // Min above max is refused before asking for a confirmation
    const unconfirmed = await withoutTerminal(() =>
      runCommand(ContractorsFee, ['carla@example.com', '--percent=10', '--min=30', '--max=5'])
    )
    unconfirmed.assertExitCode(1)
    assert.deepEqual(errorsOf(unconfirmed), [
      '[ red(error) ] The minimum fee cannot be above the maximum.',
    ])
    // Without a terminal and without --force: nothing is done
    const noTerminal = await withoutTerminal(() =>
      runCommand(ContractorsFee, ['carla@example.com', '--percent=20'])
    )
    noTerminal.assertExitCode(1)
    assert.deepEqual(errorsOf(noTerminal), [
      '[ red(error) ] No terminal to confirm on: nothing was done. Re-run with --force to change the plan.',
    ])

    assert.deepEqual(await planOf(carla), before)
    assert.lengthOf(await planEvents(), eventsBefore)
  })

  test("a later plan change never alters a placed line's fee, nor the fee captured", async ({
    assert,
  }) => {
    const carla = await createActiveContractor({ email: 'carla@example.com' })
    const employer = await createEmployer({ email: 'erin@example.com' })
    const service = await createService(carla, { price: 12000 })
    const order = await placeTestOrder(employer, service)
    const { line: placed } = await stateOf(order)
    assert.equal(placed.feeAmount, 1200)

    const changed = await runCommand(ContractorsFee, [
      'carla@example.com',
      '--percent=20',
      '--fixed=1',
      '--force',
    ])
    changed.assertSucceeded()

    await acceptLine(order.id, null, carla)
    const capture = await runCommand(OrdersCapture, [String(order.id), '--force'])
    capture.assertSucceeded()
    const { line, payment } = await stateOf(order)
    assert.equal(line.feeAmount, 1200)
    assert.deepEqual(line.feePlan, { basisPoints: 1000, fixed: 0, minimum: null, maximum: null })
    assert.equal(payment.amountCaptured, 12000)
    assert.equal(payment.applicationFeeAmount, 1200)
    const { fee } = await chargeOf(payment.stripeChargeId!)
    assert.equal(fee?.amount, 1200)

    // An order placed now is under the new plan: 20% of $120.00 + $1.00
    const later = await placeTestOrder(employer, service)
    const { line: newLine } = await stateOf(later)
    assert.equal(newLine.feeAmount, 2500)
  })
})
