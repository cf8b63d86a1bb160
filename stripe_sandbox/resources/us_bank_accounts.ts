import { type Context } from '../core/context.js'
import { invalidRequest, paramError } from '../core/errors.js'
import { newId, stableString } from '../core/ids.js'
import { applyMetadata, hash, int, meta, str } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Obj, type Params } from '../core/types.js'
import { type Engine } from '../engine.js'
import {
  lookupBankToken,
  TEST_BANK_NAME,
  TEST_ROUTING_NUMBER,
  type TestBankAccount,
  testBankAccount,
} from '../test_bank_accounts.js'
import { validRouting } from './external_accounts.js'

/*
 * ACH Direct Debit PaymentMethods (`type: us_bank_account`): created from
 * routing and account numbers (POST /v1/payment_methods, or inline as
 * `payment_method_data` on an intent), or from a `pm_usBankAccount_*` test
 * PaymentMethod. The full account number is never stored or echoed: only
 * its last 4 digits, and the test outcome its number stands for.
 */

const addressSpec = hash({
  city: str(),
  country: str(),
  line1: str(),
  line2: str(),
  postal_code: str(),
  state: str(),
})

export const billingDetailsSpec = hash({
  address: addressSpec,
  email: str(),
  name: str(),
  phone: str(),
  tax_id: str(),
})

const usBankAccountSpec = hash({
  account_holder_type: str(['individual', 'company']),
  account_number: str(),
  account_type: str(['checking', 'savings']),
  financial_connections_account: str(),
  routing_number: str(),
})

const pmFields = {
  allow_redisplay: str(['always', 'limited', 'unspecified']),
  billing_details: billingDetailsSpec,
  metadata: meta(),
  type: str(),
  us_bank_account: usBankAccountSpec,
}

export const createPaymentMethodSpec = hash({ ...pmFields }, ['type'])
export const paymentMethodDataSpec = hash({ ...pmFields }, ['type'])

/** `mandate_data`: the customer's acceptance of the debit authorisation. */
export const mandateDataSpec = hash({
  customer_acceptance: hash(
    {
      accepted_at: int(0),
      offline: hash({}),
      online: hash({ ip_address: str(), user_agent: str() }),
      type: str(['offline', 'online']),
    },
    ['type']
  ),
})

export interface BankDetails {
  outcome: TestBankAccount['outcome']
  failMicrodeposits: boolean
  /** the dispute test profile its successful payments open */
  disputeAs?: string
  /** verified by microdeposits, or a pre-verified test PaymentMethod */
  verified: boolean
}

export function isBankAccount(pm: Rec): boolean {
  return pm.obj.type === 'us_bank_account'
}

/** The hidden test behaviour of a us_bank_account PaymentMethod. */
export function bankOf(pm: Rec): BankDetails {
  return pm.x.ach as BankDetails
}

interface BankInput {
  routingNumber: string
  last4: string
  fingerprintSeed: string
  holderType: string | null
  accountType: string
  test: TestBankAccount
  verified: boolean
  billing: Params | undefined
  metadata: Record<string, string | null> | null | undefined
  allowRedisplay: string | undefined
}

function emptyBilling(): Obj {
  return {
    address: {
      city: null,
      country: null,
      line1: null,
      line2: null,
      postal_code: null,
      state: null,
    },
    email: null,
    name: null,
    phone: null,
    tax_id: null,
  }
}

function billingDetails(billing: Params | undefined): Obj {
  const out = emptyBilling()
  if (billing) {
    const { address, ...rest } = billing
    Object.assign(out, rest)
    if (address) {
      Object.assign(out.address, address)
    }
  }
  return out
}

/**
 * Validates manual bank details (`params` is the PaymentMethod hash, `prefix`
 * the parameter path it came from) without creating anything.
 */
function parseBankInput(params: Params, prefix: string): BankInput {
  const at = (name: string) => (prefix ? `${prefix}[${name}]` : name)
  if (params.type !== 'us_bank_account') {
    throw paramError(
      `The Stripe sandbox creates PaymentMethods of type us_bank_account only; for cards, use ` +
        `Stripe's test PaymentMethods (pm_card_visa, …) wherever a PaymentMethod is accepted.`,
      { param: at('type') }
    )
  }
  const bank: Params | undefined = params.us_bank_account
  if (bank?.financial_connections_account) {
    throw paramError(
      'The Stripe sandbox does not model Financial Connections; give routing_number and ' +
        'account_number instead.',
      { param: at('us_bank_account[financial_connections_account]') }
    )
  }
  for (const key of ['routing_number', 'account_number']) {
    if (!bank?.[key]) {
      throw paramError(`Missing required param: ${at(`us_bank_account[${key}]`)}.`, {
        code: 'parameter_missing',
        param: at(`us_bank_account[${key}]`),
      })
    }
  }
  if (!params.billing_details?.name) {
    throw paramError(`Missing required param: ${at('billing_details[name]')}.`, {
      code: 'parameter_missing',
      param: at('billing_details[name]'),
    })
  }
  const routing: string = bank!.routing_number
  if (!validRouting(routing)) {
    throw invalidRequest(`Invalid routing number: ${routing}`, {
      code: 'routing_number_invalid',
      param: at('us_bank_account[routing_number]'),
    })
  }
  const number: string = bank!.account_number
  if (!/^\d{4,17}$/.test(number)) {
    throw invalidRequest('Invalid account number: must be 4 to 17 digits', {
      code: 'account_number_invalid',
      param: at('us_bank_account[account_number]'),
    })
  }
  return {
    routingNumber: routing,
    last4: number.slice(-4),
    fingerprintSeed: `${routing}:${number}`,
    holderType: bank!.account_holder_type ?? 'individual',
    accountType: bank!.account_type ?? 'checking',
    test: testBankAccount(number),
    verified: false,
    billing: params.billing_details,
    metadata: params.metadata,
    allowRedisplay: params.allow_redisplay,
  }
}

function createBankPaymentMethod(engine: Engine, acct: string, plat: string, input: BankInput) {
  const obj: Obj = {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: input.allowRedisplay ?? 'unspecified',
    billing_details: billingDetails(input.billing),
    created: engine.now(),
    customer: null,
    customer_account: null,
    livemode: false,
    metadata: applyMetadata({}, input.metadata),
    type: 'us_bank_account',
    us_bank_account: {
      account_holder_type: input.holderType,
      account_type: input.accountType,
      bank_name: input.routingNumber === TEST_ROUTING_NUMBER ? TEST_BANK_NAME : 'SANDBOX BANK',
      financial_connections_account: null,
      // Same account, same fingerprint (per platform), as on Stripe.
      fingerprint: stableString(`ach:${plat}:${input.fingerprintSeed}`, 16),
      last4: input.last4,
      networks: { preferred: 'ach', supported: ['ach'] },
      routing_number: input.routingNumber,
      status_details: {},
    },
  }
  const ach: BankDetails = {
    outcome: input.test.outcome,
    failMicrodeposits: Boolean(input.test.failMicrodeposits),
    ...(input.test.disputeAs ? { disputeAs: input.test.disputeAs } : {}),
    verified: input.verified,
  }
  return engine.create('payment_method', acct, plat, obj, { ach })
}

/** Materialises a `pm_usBankAccount_*` test PaymentMethod as a fresh `pm_…`. */
export function materializeBankToken(engine: Engine, acct: string, plat: string, name: string) {
  const test = lookupBankToken(name)!
  return createBankPaymentMethod(engine, acct, plat, {
    routingNumber: TEST_ROUTING_NUMBER,
    last4: test.accountNumber.slice(-4),
    fingerprintSeed: `${TEST_ROUTING_NUMBER}:${test.accountNumber}`,
    holderType: 'individual',
    accountType: 'checking',
    test,
    verified: !test.failMicrodeposits,
    billing: { name: 'Jenny Rosen' },
    metadata: undefined,
    allowRedisplay: undefined,
  })
}

/**
 * `payment_method_data` given inline on an intent: validated now, created by
 * the returned function once every other check has passed.
 */
export function preparePaymentMethodData(ctx: Context, data: Params, param: string): () => Rec {
  const input = parseBankInput(data, param)
  return () => createBankPaymentMethod(ctx.engine, ctx.account, ctx.platform, input)
}

export function registerUsBankAccounts(engine: Engine): void {
  engine.router.add('POST', '/v1/payment_methods', createPaymentMethodSpec, (ctx) => {
    const input = parseBankInput(ctx.params, '')
    return createBankPaymentMethod(engine, ctx.account, ctx.platform, input).obj
  })
}
