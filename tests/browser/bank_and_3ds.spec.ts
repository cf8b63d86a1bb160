import { test } from '@japa/runner'
import { existsSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import { chromium, type Browser, type Page } from 'playwright-core'
import Order from '#models/order'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor } from '#tests/helpers/stripe'
import { createUser } from '#tests/helpers/users'
import { createService, stateOf } from '#tests/helpers/orders'
import { acceptLine } from '#actions/orders/accept_line'

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

async function logIn(page: Page, email: string) {
  await page.goto('/login')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill('password-2026-tests')
  await page.getByRole('button', { name: 'Log in' }).click()
}

test.group('Bank debits and 3-D Secure in a browser (390 px)', (group) => {
  let browser: Browser

  group.setup(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`The browser test needs Chromium at ${CHROMIUM} (apt-get install chromium)`)
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
    return () => browser.close()
  })
  group.each.setup(() => truncateAllTables())

  test('a card confirmed on the bank page, a bank account verified, an order paid by bank clears', async ({
    assert,
  }) => {
    const contractor = await createActiveContractor({ fullName: 'Carla Contractor' })
    const service = await createService(contractor, { title: 'Repaint a room', price: 12000 })
    await createUser({
      role: 'employer',
      email: 'erin@example.com',
      fullName: 'Erin Employer',
      password: 'password-2026-tests',
    })
    const baseURL = `http://${process.env.HOST}:${process.env.PORT}`
    const page = await browser.newPage({ baseURL, viewport: { width: 390, height: 844 } })
    await logIn(page, 'erin@example.com')

    // A card that needs 3-D Secure: to the sandbox's page (another site) and back
    await page.goto('/cards')
    await page
      .locator('input[name="payment_method"][value="pm_card_authenticationRequiredOnSetup"]')
      .check()
    await page.getByRole('button', { name: 'Add card' }).click()
    await page.getByRole('link', { name: 'Confirm with your bank' }).click()
    await page.getByRole('button', { name: 'Complete authentication' }).click()
    await page.getByText('Visa ending 3155 saved as your default card.').waitFor()

    // A bank account, with the debit authorization, verified with the two deposits
    await page.getByLabel('Routing number').fill('110000000')
    await page.getByLabel('Account number').fill('000123456789')
    await page.getByLabel('I authorize Crewpay to debit this bank account').check()
    await page.getByRole('button', { name: 'Save bank account' }).click()
    await page.getByText('STRIPE TEST BANK ···· 6789 is saved.').waitFor()
    await page.getByLabel('First deposit (cents)').fill('32')
    await page.getByLabel('Second deposit (cents)').fill('45')
    await page.getByRole('button', { name: 'Verify STRIPE TEST BANK ···· 6789' }).click()
    await page.getByText('is verified: you can pay orders from it.').waitFor()
    await page.screenshot({
      path: app.makePath('tmp', 'browser-payment-methods-390.png'),
      fullPage: true,
    })
    // Nothing wider than the screen
    const overflows = await page.evaluate(
      'document.documentElement.scrollWidth > window.innerWidth'
    )
    assert.isFalse(Boolean(overflows))

    // Paid by bank from the service page
    await page.goto(`/services/${service.id}`)
    await page
      .getByLabel('Pay with')
      .selectOption({ label: 'STRIPE TEST BANK ···· 6789 (bank debit)' })
    await page.getByRole('button', { name: 'Order for $120.00' }).click()
    await page.getByText('Your bank payment of $120.00 is processing').waitFor()
    const order = await Order.firstOrFail()
    await acceptLine(order.id, null, contractor)

    // The clock panel: a week later the debit has cleared
    await page.reload()
    await page.getByRole('button', { name: '+1 week' }).click()
    await page.getByText('1 bank payment(s) followed').waitFor()
    await page.screenshot({
      path: app.makePath('tmp', 'browser-bank-order-cleared-390.png'),
      fullPage: true,
    })
    const { payment } = await stateOf(order)
    assert.equal(payment.status, 'succeeded')
    assert.equal(payment.methodType, 'us_bank_account')
  }).timeout(120_000)
})
