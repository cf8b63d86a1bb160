import { test } from '@japa/runner'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import app from '@adonisjs/core/services/app'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { Assert } from '@japa/assert'
import Order from '#models/order'
import User from '#models/user'
import Service from '#models/service'
import { actors } from '#domain/actor'
import { truncateAllTables } from '#tests/helpers/database'
import { createActiveContractor, createEmployer } from '#tests/helpers/stripe'
import { createUser } from '#tests/helpers/users'
import { createService, placeTestOrder, stateOf } from '#tests/helpers/orders'
import { acceptLine } from '#actions/orders/accept_line'
import { deliverLine } from '#actions/orders/deliver_line'
import { approveLines } from '#actions/orders/approve_line'
import { forgetBalances } from '#actions/balance/balance_glance'

/*
| Each role's main journey in Chromium, at a desktop width and on a 390 px
| phone: every page visited is checked with axe (no critical or serious
| violation), must not scroll sideways on the phone, and is saved as a
| screenshot under tmp/ux-<step>-<width>.png to be looked at.
*/

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8'
)
const DESKTOP = { width: 1280, height: 900 }
const PHONE = { width: 390, height: 844 }

interface Violation {
  id: string
  impact: string | null
  help: string
  nodes: string[]
}

/** axe's critical and serious violations on the page (runs in the page, as a string: no DOM types here) */
async function seriousViolations(page: Page): Promise<Violation[]> {
  const loaded = await page.evaluate('typeof window.axe !== "undefined"')
  if (!loaded) {
    await page.evaluate(AXE_SOURCE)
  }
  const violations = (await page.evaluate(`
    window.axe.run(document, { resultTypes: ['violations'] }).then((result) =>
      result.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        nodes: violation.nodes.slice(0, 3).map((node) => node.target.join(' ')),
      }))
    )
  `)) as Violation[]
  return violations.filter((violation) => ['critical', 'serious'].includes(violation.impact ?? ''))
}

/** Whether the page scrolls sideways (something wider than the screen) */
async function scrollsSideways(page: Page) {
  return Boolean(await page.evaluate('document.documentElement.scrollWidth > window.innerWidth'))
}

/** A role's browser: the same session seen on a desktop and on a phone */
class Journey {
  desktop!: Page
  phone!: Page
  checked: string[] = []

  constructor(
    private context: BrowserContext,
    private assert: Assert
  ) {}

  async open() {
    this.desktop = await this.context.newPage()
    await this.desktop.setViewportSize(DESKTOP)
    this.phone = await this.context.newPage()
    await this.phone.setViewportSize(PHONE)
    return this
  }

  /**
   * The desktop page as it is now, then the same address on the phone: axe,
   * no sideways scrolling on the phone, a screenshot of each.
   */
  async check(step: string) {
    const url = this.desktop.url()
    for (const [width, page] of [
      ['desktop', this.desktop],
      ['390', this.phone],
    ] as const) {
      if (page === this.phone) {
        await page.goto(url)
      }
      const violations = await seriousViolations(page)
      this.assert.deepEqual(violations, [], `axe on ${step} (${width}): ${url}`)
      if (page === this.phone) {
        this.assert.isFalse(await scrollsSideways(page), `${step} scrolls sideways at 390 px`)
      }
      const path = app.makePath('tmp', `ux-${step}-${width}.png`)
      await page.screenshot({ path, fullPage: true })
      this.checked.push(path)
    }
  }
}

test.group('Journeys in a browser, desktop and phone', (group) => {
  let browser: Browser
  const baseURL = () => `http://${process.env.HOST}:${process.env.PORT}`

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
  group.each.setup(async () => {
    await truncateAllTables()
    forgetBalances()
  })

  test('a guest signs up as an employer from a deep link, orders, checks out a cart and approves', async ({
    assert,
  }) => {
    const carla = await createActiveContractor({ fullName: 'Carla Contractor' })
    const olga = await createActiveContractor({ fullName: 'Olga Odd-Jobs' })
    const repaint = await createService(carla, { title: 'Repaint a room', price: 12000 })
    const fence = await createService(olga, { title: 'Mend the garden fence', price: 8000 })
    const hedge = await createService(olga, { title: 'Trim the hedge', price: 4000 })
    const context = await browser.newContext({ baseURL: baseURL(), timezoneId: 'Europe/Paris' })
    const journey = await new Journey(context, assert).open()
    const page = journey.desktop

    await page.goto('/')
    await page.getByRole('heading', { name: /Pay only for approved work/ }).waitFor()
    await journey.check('guest-home')
    await page.goto('/services')
    await journey.check('guest-services')

    // A deep link survives login (here: signing up from the login page)
    await page.goto('/cart')
    await page.waitForURL(/\/login$/)
    await page.getByText('Log in to see this page.').waitFor()
    assert.equal(await page.getByText('Log in to see this page.').count(), 1)
    await journey.check('guest-login')
    await page.getByRole('link', { name: 'Sign up', exact: true }).last().click()
    await page.getByLabel('Full name').fill('Erin Employer')
    await page.getByLabel('Email').fill('erin@example.com')
    await page.getByLabel('Password').fill('hire-people-2026')
    await page.getByLabel(/hire contractors/).check()
    await page.getByRole('button', { name: 'Sign up' }).click()
    await page.waitForURL(/\/cart$/)
    await page.getByText('Welcome to Crewpay, Erin Employer.').waitFor()
    const erin = await User.findByOrFail('email', 'erin@example.com')
    // The browser's time zone, from the signup form
    assert.equal(erin.timeZone, 'Europe/Paris')

    await page.goto('/cards')
    await page.locator('input[name="payment_method"][value="pm_card_visa"]').check()
    await page.getByRole('button', { name: 'Add card' }).click()
    await page.getByText('Visa ending 4242 saved as your default card.').waitFor()
    await journey.check('employer-cards')

    // One service ordered at once (held on the card)
    await page.goto(`/services/${repaint.id}`)
    await journey.check('employer-service')
    await page.getByLabel('Note for the contractor (optional)').fill('Blue walls please')
    await page.getByRole('button', { name: 'Order for $120.00' }).click()
    await page.getByText('Your card is authorized for $120.00').waitFor()
    await journey.check('employer-order-placed')

    // Two services through the cart (paid at once)
    for (const service of [fence, hedge]) {
      await page.goto(`/services/${service.id}`)
      await page.getByRole('button', { name: 'Add to cart' }).click()
    }
    await page.goto('/cart')
    await journey.check('employer-cart')
    await page.getByRole('button', { name: 'Pay $120.00' }).click()
    await page.getByText('You paid $120.00').waitFor()
    await journey.check('employer-cart-paid')

    const [first, second] = await Order.query().orderBy('id')
    await acceptLine(first.id, null, carla)
    await deliverLine(first.id, null, carla)
    const { lines: cartLines } = await stateOf(second)
    for (const line of cartLines) {
      await acceptLine(second.id, line.id, olga)
      await deliverLine(second.id, line.id, olga)
    }

    // Home: what needs the employer, in plain words
    await page.goto('/')
    const toApprove = page.locator('section', {
      has: page.getByRole('heading', { name: 'Needs you' }),
    })
    await toApprove.getByText('Work to approve').waitFor()
    assert.equal(await toApprove.getByText('Ready for your approval').count(), 2)
    await journey.check('employer-home')

    await page.goto('/orders')
    await journey.check('employer-orders')

    await page.goto('/')
    await page
      .getByRole('link', { name: /Repaint a room/ })
      .first()
      .click()
    await page.getByRole('button', { name: 'Approve and pay $120.00' }).click()
    await page.getByText('Work approved: $120.00 charged').waitFor()
    // Times in the employer's zone
    await page
      .getByText(/CET|CEST|GMT\+1|GMT\+2/)
      .first()
      .waitFor()
    await journey.check('employer-order-approved')
    const { line, payment } = await stateOf(first)
    assert.equal(line.status, 'approved')
    assert.equal(payment.status, 'succeeded')

    await page.goto('/settings')
    await journey.check('employer-settings')
    await context.close()
  }).timeout(240_000)

  test('a contractor onboards step by step, accepts, delivers and sees the balance', async ({
    assert,
  }) => {
    const employer = await createEmployer({ fullName: 'Erin Employer' })
    const context = await browser.newContext({ baseURL: baseURL() })
    const journey = await new Journey(context, assert).open()
    const page = journey.desktop

    await page.goto('/signup')
    await page.getByLabel('Full name').fill('Jenny Rosen')
    await page.getByLabel('Email').fill('jenny@example.com')
    await page.getByLabel('Password').fill('paint-the-walls-2026')
    await page.getByLabel(/offer my services/).check()
    await page.getByRole('button', { name: 'Sign up' }).click()
    // A new contractor starts with onboarding, one step at a time
    await page.waitForURL(/\/onboarding$/)
    await page.getByRole('heading', { name: 'Your details' }).waitFor()
    await journey.check('onboarding-details')

    await page.getByLabel('Legal first name').fill('Jenny')
    await page.getByLabel('Legal last name').fill('Rosen')
    await page.getByLabel('Date of birth').fill('1901-01-01')
    await page.getByLabel('Phone number').fill('000 000 0000')
    await page.getByLabel('Street address').fill('address_full_match')
    await page.getByLabel('City').fill('San Francisco')
    await page.getByLabel('State').selectOption({ label: 'California' })
    await page.getByLabel('ZIP code').fill('94111')
    await page.getByLabel('SSN or ITIN').fill('000000000')
    await page.getByRole('button', { name: 'Send my details to Stripe' }).click()
    await page.getByText('Your details were sent to Stripe.').waitFor()
    await page.getByRole('heading', { name: 'Terms' }).waitFor()
    await journey.check('onboarding-terms')
    await page.getByLabel('I accept the Stripe Connected Account Agreement.').check()
    await page.getByRole('button', { name: 'Accept' }).click()
    await page.getByRole('heading', { name: 'Bank account' }).waitFor()
    await page.getByLabel('Account holder name').fill('Jenny Rosen')
    await page.getByLabel('Routing number').fill('110000000')
    await page.getByLabel('Account number').fill('000123456789')
    await page.getByRole('button', { name: 'Save bank account' }).click()
    await page.getByText('Your bank account was added.').waitFor()
    // The page follows Stripe's verification by itself
    await page.locator('[data-status="active"]').waitFor({ timeout: 30_000 })
    await journey.check('onboarding-active')

    await page.goto('/my/services')
    await page.getByLabel('Title').fill('Paint a fence')
    await page.getByLabel('Description').fill('One coat, paint included, up to 20 meters.')
    await page.getByLabel('Price').fill('95.00')
    await page.getByRole('button', { name: 'Add service' }).click()
    await page.getByRole('link', { name: 'Paint a fence', exact: true }).waitFor()
    await journey.check('contractor-services')

    const jenny = await User.findByOrFail('email', 'jenny@example.com')
    const service = await Service.findByOrFail('contractorId', jenny.id)
    const order = await placeTestOrder(employer, service)

    await page.goto('/')
    await page.getByText('New orders to accept').waitFor()
    await journey.check('contractor-home')
    await page
      .getByRole('link', { name: /Paint a fence/ })
      .first()
      .click()
    await journey.check('contractor-order-new')
    await page.getByRole('button', { name: 'Accept' }).click()
    await page.getByText('Accepted.').waitFor()
    await page.getByRole('button', { name: 'Mark as delivered' }).click()
    await page.getByText('Marked as delivered.').waitFor()
    await approveLines(order.id, null, actors.party('employer', employer.id))

    await page.goto('/balance')
    await page
      .getByRole('link', { name: new RegExp(`Order #${order.id}`) })
      .first()
      .waitFor()
    await journey.check('contractor-balance')
    await page.goto(`/orders/${order.id}`)
    await page.getByText('Paid to you').waitFor()
    await journey.check('contractor-order-paid')
    await context.close()
  }).timeout(240_000)

  test('an admin is told to work from the console', async ({ assert }) => {
    await createUser({ role: 'admin', email: 'root@example.com', password: 'console-only-2026' })
    const context = await browser.newContext({ baseURL: baseURL() })
    const journey = await new Journey(context, assert).open()
    const page = journey.desktop
    await page.goto('/login')
    await page.getByLabel('Email').fill('root@example.com')
    await page.getByLabel('Password').fill('wrong-password-1')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByText('That email and password do not match an account.').waitFor()
    // One banner, in our words
    assert.equal(await page.locator('.flash').count(), 1)
    await page.getByLabel('Password').fill('console-only-2026')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('heading', { name: 'You work from the console' }).waitFor()
    await page.getByText('node ace orders:refund').first().waitFor()
    await journey.check('admin-home')
    await page.goto('/orders')
    await page.getByText('Admins work from the console').waitFor()
    await journey.check('admin-forbidden')
    await context.close()
  }).timeout(120_000)
})
