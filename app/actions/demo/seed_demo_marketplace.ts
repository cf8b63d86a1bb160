import User from '#models/user'
import Service from '#models/service'
import { signUp } from '#actions/users/sign_up'
import { ensureStripeCustomer } from '#actions/billing/ensure_customer'
import { addCard } from '#actions/billing/add_card'
import { onboardWithTestValues } from '#actions/demo/onboard_with_test_values'
import { placeOrder } from '#actions/orders/place_order'
import { acceptLine } from '#actions/orders/accept_line'
import { deliverLine } from '#actions/orders/deliver_line'
import { approveLines } from '#actions/orders/approve_line'
import { cancelLines } from '#actions/orders/cancel_line'
import { actors } from '#domain/actor'
import { linesOf } from '#actions/orders/order_parts'
import { addBankAccount } from '#actions/bank_accounts/add_bank_account'
import { verifyBankAccount } from '#actions/bank_accounts/manage_bank_account'
import { mandateAcceptance } from '#actions/bank_accounts/mandate'

/** Demo logins (listed in the README); the password is the same for all */
export const DEMO_PASSWORD = 'crewpay-demo-2026'
export const DEMO_EMPLOYER = 'employer@demo.crewpay.test'
export const DEMO_ADMIN = 'admin@demo.crewpay.test'
export const DEMO_CONTRACTORS = [
  {
    email: 'ada@demo.crewpay.test',
    name: 'Ada Painter',
    services: [
      {
        title: 'Repaint a room',
        description: 'Walls and ceiling, two coats, paint included.',
        price: 45000,
      },
      {
        title: 'Paint a front door',
        description: 'Sanding, primer and a glossy finish.',
        price: 12000,
      },
    ],
  },
  {
    email: 'grace@demo.crewpay.test',
    name: 'Grace Plumber',
    services: [
      {
        title: 'Fix a leaking tap',
        description: 'Washer or cartridge replaced, any brand.',
        price: 8500,
      },
      {
        title: 'Install a dishwasher',
        description: 'Water and drain connections, tested.',
        price: 16000,
      },
    ],
  },
  {
    email: 'linus@demo.crewpay.test',
    name: 'Linus Webb',
    services: [
      {
        title: 'One-page website',
        description: 'A fast, accessible page for your business.',
        price: 90000,
      },
      { title: 'Fix a bug', description: 'One bug in your web app, with a test.', price: 25000 },
    ],
  },
]

/**
 * A small living marketplace for a fresh `npm run dev`: an employer with
 * saved cards and a verified bank account, three onboarded contractors with services, orders in different
 * states (and one with three contractors), an admin. Everything goes through the same actions as the web app
 * and the sandbox. Does nothing when the database already has users.
 */
export async function seedDemoMarketplace(log: (line: string) => void = () => {}) {
  if (await User.query().first()) {
    return false
  }

  const employer = await signUp({
    full_name: 'Erin Employer',
    email: DEMO_EMPLOYER,
    password: DEMO_PASSWORD,
    role: 'employer',
  })
  await ensureStripeCustomer(employer)
  await addCard(employer, 'pm_card_visa', 'demo-seed-visa')
  await addCard(employer, 'pm_card_mastercard', 'demo-seed-mastercard')
  // A bank account entered as the sandbox form does, verified with Stripe's test deposits
  const acceptance = mandateAcceptance({ ip: '127.0.0.1', userAgent: 'Crewpay demo data' })
  const entered = await addBankAccount(
    employer,
    {
      routingNumber: '110000000',
      accountNumber: '000123456789',
      holderName: 'Erin Employer',
      holderType: 'individual',
    },
    acceptance,
    '00000000-0000-4000-8000-00000000a001'
  )
  const bank = await verifyBankAccount(
    employer,
    entered.id,
    { amounts: [32, 45] },
    '00000000-0000-4000-8000-00000000a002'
  )
  await signUp({
    full_name: 'Alex Admin',
    email: DEMO_ADMIN,
    password: DEMO_PASSWORD,
    role: 'admin',
  })

  const services: Service[] = []
  for (const demo of DEMO_CONTRACTORS) {
    const contractor = await signUp({
      full_name: demo.name,
      email: demo.email,
      password: DEMO_PASSWORD,
      role: 'contractor',
    })
    await onboardWithTestValues(contractor)
    for (const service of demo.services) {
      services.push(
        await Service.create({ ...service, contractorId: contractor.id, currency: 'usd' })
      )
    }
  }

  const employerActor = actors.party('employer', employer.id)
  const place = async (...chosen: Service[]) => {
    const placement = await placeOrder(employer, {
      serviceIds: chosen.map((service) => service.id),
      note: 'Demo order',
    })
    return placement.order
  }
  const contractorOf = (service: Service) => User.findOrFail(service.contractorId)

  // Paid by bank: processing for about 4 business days (the clock panel moves time on)
  await placeOrder(employer, {
    serviceIds: [services[5].id],
    note: 'Demo order paid by bank',
    paymentMethodId: bank.stripePaymentMethodId,
  })

  // One order in each state along the lifecycle
  await place(services[0])
  const accepted = await place(services[2])
  await acceptLine(accepted.id, null, await contractorOf(services[2]))
  const delivered = await place(services[4])
  await acceptLine(delivered.id, null, await contractorOf(services[4]))
  await deliverLine(delivered.id, null, await contractorOf(services[4]))
  const paid = await place(services[1])
  await acceptLine(paid.id, null, await contractorOf(services[1]))
  await deliverLine(paid.id, null, await contractorOf(services[1]))
  await approveLines(paid.id, null, employerActor)
  const canceled = await place(services[3])
  await cancelLines(canceled.id, null, employerActor)

  // A renovation with three contractors, paid at once: one line delivered,
  // one accepted, one waiting for its contractor
  const renovation = await place(services[0], services[3], services[5])
  const renovationLines = await linesOf(renovation.id)
  const [ada, grace] = [await contractorOf(services[0]), await contractorOf(services[3])]
  await acceptLine(renovation.id, renovationLines[0].id, ada)
  await deliverLine(renovation.id, renovationLines[0].id, ada)
  await acceptLine(renovation.id, renovationLines[1].id, grace)

  log(`Demo marketplace seeded: log in as ${DEMO_EMPLOYER} / ${DEMO_PASSWORD}`)
  return true
}
