import { test } from '@japa/runner'
import { existsSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import { chromium, type Browser, type Page } from 'playwright-core'
import Service from '#models/service'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor } from '#tests/helpers/stripe'

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/** Whether the page scrolls sideways (something wider than the screen) */
async function scrollsSideways(page: Page) {
  // Runs in the page (a string: the app's TypeScript has no DOM types)
  return Boolean(await page.evaluate('document.documentElement.scrollWidth > window.innerWidth'))
}

test.group('Services on a 390 px screen, with the keyboard', (group) => {
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

  test('search by keyboard, the contractor page, and editing a service with field errors', async ({
    assert,
  }) => {
    const contractor = await createActiveContractor({
      fullName: 'Grace Hopper',
      email: 'grace@example.com',
      password: 'nanoseconds-1906',
    })
    await Service.create({
      contractorId: contractor.id,
      title: 'Compiler review with an unusually long title that must wrap',
      description:
        'Line one of the description.\nLine two, with a verylongwordthatdoesnotbreakanywhereatall.',
      price: 125000,
      currency: 'usd',
      active: true,
    })
    await Service.create({
      contractorId: contractor.id,
      title: 'Kitchen plan',
      description: 'Drawings and a budget for your kitchen.',
      price: 5000,
      currency: 'usd',
      active: true,
    })
    const baseURL = `http://${process.env.HOST}:${process.env.PORT}`
    const page = await browser.newPage({ baseURL, viewport: { width: 390, height: 844 } })

    await page.goto('/services')
    assert.isFalse(await scrollsSideways(page), '/services')
    // Keyboard only: Tab reaches the search field, Enter submits
    await page.locator('#q').focus()
    await page.keyboard.type('compil')
    await page.keyboard.press('Enter')
    await page.waitForURL(/q=compil/)
    assert.equal(await page.locator('article.service').count(), 1)
    assert.isFalse(await scrollsSideways(page), '/services?q=compil')

    await page.getByRole('link', { name: 'Grace Hopper' }).click()
    await page.getByRole('heading', { name: 'Grace Hopper', level: 1 }).waitFor()
    assert.isFalse(await scrollsSideways(page), '/contractors/:id')

    await page.goto('/login')
    await page.getByLabel('Email').fill('grace@example.com')
    await page.getByLabel('Password').fill('nanoseconds-1906')
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/$/)

    await page.goto('/my/services')
    assert.isFalse(await scrollsSideways(page), '/my/services')
    await page.getByRole('link', { name: 'Edit Kitchen plan' }).click()
    await page.getByLabel('Price').fill('12.345')
    await page.getByLabel('Price').press('Enter')
    await page.getByText('USD amounts have at most 2 decimals.').waitFor()
    const price = page.getByLabel('Price')
    assert.equal(await price.getAttribute('aria-invalid'), 'true')
    const describedBy = String(await price.getAttribute('aria-describedby')).split(' ')
    const descriptions = await Promise.all(
      describedBy.map((id) => page.locator(`#${id}`).innerText())
    )
    assert.include(descriptions, 'USD amounts have at most 2 decimals.')
    assert.isFalse(await scrollsSideways(page), '/my/services/:id/edit')
    await page.screenshot({ path: app.makePath('tmp', 'browser-edit-390.png'), fullPage: true })
  }).timeout(120_000)
})
