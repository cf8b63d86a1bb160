import { test } from '@japa/runner'
import { existsSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import { chromium, type Browser } from 'playwright-core'
import Order from '#models/order'
import User from '#models/user'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor } from '#tests/helpers/stripe'
import { createService, stateOf } from '#tests/helpers/orders'
import { acceptLine } from '#actions/orders/accept_line'
import { deliverLine } from '#actions/orders/deliver_line'

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

test.group('In a browser', (group) => {
  let browser: Browser

  group.setup(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`The browser test needs Chromium at ${CHROMIUM} (apt-get install chromium)`)
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    })
    return () => browser.close()
  })
  group.each.setup(() => truncateAllTables())

  test('signup → card → order → approve', async ({ assert }) => {
    const contractor = await createActiveContractor({ fullName: 'Carla Contractor' })
    const service = await createService(contractor, { title: 'Repaint a room', price: 12000 })
    const baseURL = `http://${process.env.HOST}:${process.env.PORT}`
    const page = await browser.newPage({ baseURL })

    await page.goto('/signup')
    await page.getByLabel('Full name').fill('Erin Employer')
    await page.getByLabel('Email').fill('erin@example.com')
    await page.getByLabel('Password').fill('hire-people-2026')
    await page.getByLabel(/hire contractors/).check()
    await page.getByRole('button', { name: 'Sign up' }).click()
    await page.getByText('Welcome to Crewpay, Erin Employer.').waitFor()

    await page.goto('/cards')
    await page.locator('input[name="payment_method"][value="pm_card_visa"]').check()
    await page.getByRole('button', { name: 'Add card' }).click()
    await page.getByText('Visa ending 4242 saved as your default card.').waitFor()

    await page.goto(`/services/${service.id}`)
    await page.getByLabel('Note for the contractor (optional)').fill('Blue walls please')
    await page.getByRole('button', { name: 'Order for $120.00' }).click()
    await page.getByText('Your card is authorized for $120.00').waitFor()

    const order = await Order.firstOrFail()
    await acceptLine(order.id, null, contractor)
    await deliverLine(order.id, null, contractor)

    await page.reload()
    await page.getByRole('button', { name: 'Approve and pay $120.00' }).click()
    await page.getByText('Work approved: $120.00 charged').waitFor()
    await page.screenshot({
      path: app.makePath('tmp', 'browser-order-approved.png'),
      fullPage: true,
    })

    const { line, payment } = await stateOf(order)
    assert.equal(line.status, 'approved')
    assert.equal(payment.status, 'succeeded')
    assert.equal(order.note, 'Blue walls please')
    const employer = await User.findByOrFail('email', 'erin@example.com')
    assert.equal(order.employerId, employer.id)
    assert.isTrue(existsSync(app.makePath('tmp', 'browser-order-approved.png')))
  }).timeout(120_000)
})
