import { test } from '@japa/runner'
import { ace } from '#tests/helpers/ace_process'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor, createEmployer } from '#tests/helpers/stripe'
import { createService, placeTestOrder } from '#tests/helpers/orders'
import { createPaymentRequest } from '#actions/payment_requests/create_request'
import { fitWidths, FittedTable } from '#services/console_table'
import type { BaseCommand } from '@adonisjs/core/ace'

function lines(text: string) {
  return text.split('\n').filter((line) => line.trim() !== '')
}

test.group('Console tables fit the terminal', (group) => {
  group.each.setup(() => truncateAllTables())

  test('the widest columns give way first, none below its minimum', ({ assert }) => {
    // 3 columns, 2 gaps of 2: 40 − 4 = 36 for the cells
    assert.deepEqual(fitWidths([5, 30, 20], [5, 8, 8], 40), [5, 15, 16])
    assert.deepEqual(fitWidths([5, 10, 10], [5, 8, 8], 40), [5, 10, 10])
    // Columns named first give way before the others
    assert.deepEqual(fitWidths([5, 30, 20], [5, 8, 8], 40, [2]), [5, 23, 8])
    // Too narrow for the minimums: they are kept (the line is longer)
    assert.deepEqual(fitWidths([10, 10], [8, 8], 10), [8, 8])
  })

  test('cut cells end with an ellipsis; --wide keeps them whole', ({ assert }) => {
    const command = {} as BaseCommand
    const long = 'a'.repeat(80)
    const fitted = new FittedTable(command, { width: 50 })
      .head(['Order', 'Note'])
      .row(['#1', long])
      .row(['#2', 'short\nsecond line'])
      .lines()
    assert.isTrue(fitted.cutShort)
    assert.deepEqual(fitted.lines, [
      'Order  Note',
      `${'─'.repeat(5)}  ${'─'.repeat(43)}`,
      `#1     ${'a'.repeat(42)}…`,
      '#2     short',
    ])
    const wide = new FittedTable(command, { width: 50, wide: true })
      .head(['Order', 'Note'])
      .row(['#1', long])
      .lines()
    assert.isFalse(wide.cutShort)
    assert.equal(wide.lines[2], `#1     ${long}`)
  })

  test('orders:list fits a 100-column terminal, one line per order; --wide prints it whole', async ({
    assert,
  }) => {
    const contractor = await createActiveContractor({
      email: 'a-contractor-with-a-rather-long-address@example.com',
    })
    const employer = await createEmployer({
      email: 'an-employer-with-an-even-longer-address@example.com',
    })
    const services = [
      await createService(contractor, { title: 'Kitchen repaint', price: 12000 }),
      await createService(contractor, { title: 'Garden fence', price: 8000 }),
      await createService(contractor, { title: 'Hedge trimming', price: 4000 }),
    ]
    const orders = [
      await placeTestOrder(employer, services),
      await placeTestOrder(employer, services[0]),
    ]

    const fitted = await ace(['orders:list'], { COLUMNS: '100' })
    assert.equal(fitted.code, 0, fitted.stderr)
    const printed = lines(fitted.stdout)
    for (const line of printed) {
      assert.isAtMost([...line].length, 100, line)
    }
    // Header, rule, one line per order, the hint about --wide: no row separators
    assert.lengthOf(printed, 2 + orders.length + 1)
    assert.match(printed[0], /^Order\s+Status\s+Total\s+Payment\s+Lines\s+Employer$/)
    assert.match(printed[1], /^─+( {2}─+){5}$/)
    assert.match(printed[2], new RegExp(`^#${orders[1].id} `))
    assert.include(printed.at(-1)!, '--wide shows them whole')

    const wide = await ace(['orders:list', '--wide'], { COLUMNS: '100' })
    const whole = lines(wide.stdout)
    assert.lengthOf(whole, 2 + orders.length)
    assert.include(whole.join('\n'), 'an-employer-with-an-even-longer-address@example.com')
    assert.isAbove(Math.max(...whole.map((line) => [...line].length)), 100)
  }).timeout(60_000)

  test('payment-requests:list fits a 100-column terminal too, one line per request', async ({
    assert,
  }) => {
    const contractor = await createActiveContractor({
      email: 'a-contractor-with-a-rather-long-address@example.com',
    })
    await createEmployer({ email: 'an-employer-with-an-even-longer-address@example.com' })
    for (const description of ['Deposit for the bathroom', 'Extra work found on site']) {
      await createPaymentRequest(contractor, {
        employerEmail: 'an-employer-with-an-even-longer-address@example.com',
        description,
        amount: 123456,
        currency: 'usd',
        dueDate: '2099-12-31',
      })
    }

    const fitted = await ace(['payment-requests:list'], { COLUMNS: '100' })
    assert.equal(fitted.code, 0, fitted.stderr)
    const printed = lines(fitted.stdout)
    for (const line of printed) {
      assert.isAtMost([...line].length, 100, line)
    }
    assert.lengthOf(printed, 2 + 2 + 1)
    assert.match(printed[0], /^Request\s+Status\s+Amount/)
    assert.notMatch(fitted.stdout, /[│┌└]/)

    const wide = await ace(['payment-requests:list', '--wide'], { COLUMNS: '100' })
    assert.include(wide.stdout, 'an-employer-with-an-even-longer-address@example.com')
  }).timeout(60_000)
})
