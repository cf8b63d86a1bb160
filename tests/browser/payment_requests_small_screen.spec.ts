import { test } from '@japa/runner'
import { existsSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import { chromium, type Browser, type Page } from 'playwright-core'
import { businessNow } from '#services/clock'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor, createEmployer } from '#tests/helpers/stripe'
import { createPaymentRequest } from '#actions/payment_requests/create_request'
import { requestLinkPath } from '#actions/payment_requests/request_link'

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

async function scrollsSideways(page: Page) {
  return Boolean(await page.evaluate('document.documentElement.scrollWidth > window.innerWidth'))
}

/** The descriptions a field's aria-describedby points at, as read aloud */
async function descriptionsOf(page: Page, label: string) {
  const field = page.getByLabel(label, { exact: true })
  const ids = String(await field.getAttribute('aria-describedby')).split(' ')
  return Promise.all(ids.map((id) => page.locator(`#${id}`).innerText()))
}

test.group('Payment requests on a 390 px screen, with the keyboard', (group) => {
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

  test('a contractor sends a request; the employer logs in from the link and pays part of it', async ({
    assert,
  }) => {
    await createActiveContractor({
      fullName: 'Carla Contractor',
      email: 'carla@example.com',
      password: 'brushes-and-rollers-7',
    })
    await createEmployer({
      fullName: 'Erin Employer',
      email: 'erin@example.com',
      password: 'kitchen-budget-2026',
    })
    const now = await businessNow()
    const due = now.toUTC().plus({ days: 20 }).toISODate()!
    const baseURL = `http://${process.env.HOST}:${process.env.PORT}`
    const contractorPage = await browser.newPage({ baseURL, viewport: { width: 390, height: 844 } })

    await contractorPage.goto('/login')
    await contractorPage.getByLabel('Email').fill('carla@example.com')
    await contractorPage.getByLabel('Password').fill('brushes-and-rollers-7')
    await contractorPage.keyboard.press('Enter')
    await contractorPage.waitForURL(/\/$/)
    await contractorPage.getByRole('link', { name: 'Payment requests' }).click()
    assert.isFalse(await scrollsSideways(contractorPage), '/my/payment-requests')

    await contractorPage.getByLabel("Employer's email").fill('erin@example.com')
    await contractorPage.getByLabel('What it is for').fill('New fence posts, found rotten on site')
    await contractorPage.getByLabel('Amount', { exact: true }).fill('640.005')
    await contractorPage.locator('#due_date').fill(due)
    await contractorPage.getByRole('button', { name: 'Send the request' }).press('Enter')
    await contractorPage.getByText('USD amounts have at most 2 decimals.').waitFor()
    assert.include(
      await descriptionsOf(contractorPage, 'Amount'),
      'USD amounts have at most 2 decimals.'
    )
    await contractorPage.getByLabel('Amount', { exact: true }).fill('640.00')
    await contractorPage.locator('#due_date').fill(due)
    await contractorPage.getByRole('button', { name: 'Send the request' }).press('Enter')
    await contractorPage.getByRole('heading', { name: /Payment request #\d+/ }).waitFor()
    assert.isFalse(await scrollsSideways(contractorPage), '/my/payment-requests/:id')
    const link = await contractorPage.locator('#payment-link').inputValue()
    assert.match(link, /\/pay\/[A-Za-z0-9_-]{43}$/)
    await contractorPage.screenshot({
      path: app.makePath('tmp', 'browser-payment-request-390.png'),
      fullPage: true,
    })

    // The employer opens the link as a guest, logs in, and lands back on it
    const employerPage = await browser.newPage({ baseURL, viewport: { width: 390, height: 844 } })
    await employerPage.goto(link)
    await employerPage.getByRole('link', { name: 'Log in as erin@example.com' }).click()
    assert.equal(await employerPage.getByLabel('Email').inputValue(), 'erin@example.com')
    await employerPage.getByLabel('Password').fill('kitchen-budget-2026')
    await employerPage.keyboard.press('Enter')
    await employerPage.waitForURL(new URL(link).pathname)
    await employerPage
      .getByRole('heading', { name: 'Payment request from Carla Contractor' })
      .waitFor()
    assert.isFalse(await scrollsSideways(employerPage), '/pay/:token')

    const amount = employerPage.getByLabel('Amount to pay (USD)')
    assert.equal(await amount.inputValue(), '640.00')
    await amount.fill('240.00')
    await employerPage.getByRole('button', { name: 'Pay' }).press('Enter')
    await employerPage.getByText('You paid $240.00.').waitFor()
    await employerPage.getByRole('link', { name: /Receipt \(PDF\)/ }).waitFor()
    assert.include(await employerPage.locator('[data-figure="balance"]').innerText(), '$400.00')
    assert.isFalse(await scrollsSideways(employerPage), '/pay/:token after paying')
    await employerPage.screenshot({
      path: app.makePath('tmp', 'browser-pay-390.png'),
      fullPage: true,
    })
  }).timeout(120_000)

  test("the employer's card asks for 3-D Secure: the bank's page and back, paid", async ({
    assert,
  }) => {
    const carla = await createActiveContractor({ fullName: 'Carla Contractor' })
    await createEmployer({
      fullName: 'Erin Employer',
      email: 'erin@example.com',
      password: 'kitchen-budget-2026',
    })
    const now = await businessNow()
    const request = await createPaymentRequest(carla, {
      employerEmail: 'erin@example.com',
      description: 'Deposit for the bathroom',
      amount: 50000,
      currency: 'usd',
      dueDate: now.toUTC().plus({ days: 20 }).toISODate()!,
    })
    const link = requestLinkPath(request)!
    const baseURL = `http://${process.env.HOST}:${process.env.PORT}`
    const page = await browser.newPage({ baseURL, viewport: { width: 390, height: 844 } })
    await page.goto('/login')
    await page.getByLabel('Email').fill('erin@example.com')
    await page.getByLabel('Password').fill('kitchen-budget-2026')
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/$/)
    await page.goto(link)

    await page.getByLabel('A new card').check()
    await page
      .locator('input[name="new_payment_method"][value="pm_card_authenticationRequired"]')
      .check()
    await page.getByRole('button', { name: 'Pay' }).click()
    await page.getByRole('heading', { name: 'Waiting for your bank’s confirmation' }).waitFor()
    assert.include(await page.locator('[data-figure="balance"]').innerText(), '$0.00')
    assert.isFalse(await scrollsSideways(page), '/pay/:token waiting for the bank')
    await page.screenshot({
      path: app.makePath('tmp', 'browser-pay-3ds-waiting-390.png'),
      fullPage: true,
    })

    // To the sandbox's page (another site) and back to the request
    await page.getByRole('link', { name: 'Continue with your bank' }).click()
    await page.getByRole('button', { name: 'Complete authentication' }).click()
    await page.getByText('You paid $500.00.').waitFor()
    assert.equal(new URL(page.url()).pathname, link)
    assert.include(await page.locator('[data-figure="balance"]').innerText(), '$0.00')
    await page.getByRole('link', { name: /Receipt \(PDF\)/ }).waitFor()
    assert.isFalse(await scrollsSideways(page), '/pay/:token after the bank')
  }).timeout(120_000)
})
